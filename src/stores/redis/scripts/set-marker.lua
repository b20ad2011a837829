-- Sets a marker key, keeping the later expiry when it already exists.
-- KEYS[1] marker; ARGV[1] ttl (ms)
local ttl = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('SET', KEYS[1], '1', 'PX', ttl)
end
return 1
