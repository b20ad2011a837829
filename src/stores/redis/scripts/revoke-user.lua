-- Revokes a user in one atomic step: raises the cutoff (keeping the later cutoff and expiry)
-- and ends every session created at or before it (the rule of sessions/cutoff.ts).
-- KEYS[1] cutoff, KEYS[2] user's session index
-- ARGV[1] cutoff (ms), ARGV[2] ttl (ms), ARGV[3] session record prefix, ARGV[4] revoked marker prefix,
-- ARGV[5] '1': every session (the cutoff is first raised to the latest createdAt among them)
local cutoff = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
if ARGV[5] == '1' then
  for _, sid in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    local record = redis.call('GET', ARGV[3] .. sid)
    if record then
      local createdAt = cjson.decode(record).createdAt
      if createdAt > cutoff then cutoff = createdAt end
    end
  end
end
local current = tonumber(redis.call('GET', KEYS[1]) or '')
local kept = cutoff
if current ~= nil and current > kept then kept = current end
local pttl = redis.call('PTTL', KEYS[1])
local keyTtl = ttl
if pttl > keyTtl then keyTtl = pttl end
redis.call('SET', KEYS[1], kept, 'PX', keyTtl)

local ended = {}
for _, sid in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local record = redis.call('GET', ARGV[3] .. sid)
  if not record then
    redis.call('ZREM', KEYS[2], sid)
  elseif cjson.decode(record).createdAt <= kept then
    redis.call('DEL', ARGV[3] .. sid)
    redis.call('ZREM', KEYS[2], sid)
    local marker = ARGV[4] .. sid
    if redis.call('PTTL', marker) < ttl then redis.call('SET', marker, '1', 'PX', ttl) end
    table.insert(ended, record)
  end
end
return ended
