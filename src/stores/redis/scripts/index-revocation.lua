-- Adds a member to its bucket of the revocation index (keys.ts revokedIndex), keeping the later
-- expiry; the bucket lives as long as its latest member (no key without a TTL unless a member
-- never expires: a suspension without an end), and drops its expired members when asked.
-- KEYS[1] bucket; ARGV[1] member; ARGV[2] expiry (ms, or +inf); ARGV[3] now (ms); ARGV[4] prune
local existed = redis.call('EXISTS', KEYS[1]) == 1
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
if ARGV[4] == '1' then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
end
if ARGV[2] == '+inf' then
  redis.call('PERSIST', KEYS[1])
  return 1
end
local left = math.ceil(tonumber(ARGV[2]) - tonumber(ARGV[3]))
local ttl = redis.call('PTTL', KEYS[1])
if left > 0 and (not existed or (ttl >= 0 and ttl < left)) then
  redis.call('PEXPIRE', KEYS[1], left)
end
return 1
