-- Sets a cutoff (ms), keeping the later cutoff and the later expiry.
-- KEYS[1] cutoff key; ARGV[1] cutoff, ARGV[2] ttl (ms, 0 = no expiry)
local cutoff = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '')
if current ~= nil and current > cutoff then cutoff = current end
local pttl = redis.call('PTTL', KEYS[1])
if ttl == 0 then
  redis.call('SET', KEYS[1], cutoff)
else
  if pttl > ttl then ttl = pttl end
  redis.call('SET', KEYS[1], cutoff, 'PX', ttl)
end
return cutoff
