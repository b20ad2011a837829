-- Revokes a user in one atomic step whose cost does not grow with the user's sessions: raises the
-- cutoff (keeping the later cutoff and expiry) and ends at most a slice of the sessions created
-- at or before it (the rule of records/cutoff.ts). The cutoff alone already kills the rest: the
-- create script ends them a slice per login, and while any are left the cutoff key lives at least
-- as long as the user's session indexes (hence every record they list), so the rule holds.
-- KEYS[1] cutoff, KEYS[2] user's sessions by last use, KEYS[3] by expiresAt, KEYS[4] by createdAt
-- ARGV[1] cutoff (ms), ARGV[2] ttl (ms), ARGV[3] session record prefix, ARGV[4] revoked marker prefix,
-- ARGV[5] '1': every session (the cutoff is first raised to the latest createdAt among them),
-- ARGV[6] slice size
-- Replies the records of the sessions it ended.
local cutoff = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
if ARGV[5] == '1' then
  local latest = redis.call('ZREVRANGE', KEYS[4], 0, 0, 'WITHSCORES')
  if latest[2] ~= nil and tonumber(latest[2]) > cutoff then cutoff = tonumber(latest[2]) end
end
local current = tonumber(redis.call('GET', KEYS[1]) or '')
local kept = cutoff
if current ~= nil and current > kept then kept = current end
local keyTtl = ttl
local pttl = redis.call('PTTL', KEYS[1])
if pttl > keyTtl then keyTtl = pttl end
redis.call('SET', KEYS[1], kept, 'PX', keyTtl)

-- Newest first: the session that raised the cutoff is among those the caller hears about.
local ended = {}
local sids = redis.call('ZREVRANGEBYSCORE', KEYS[4], kept, '-inf', 'LIMIT', 0, tonumber(ARGV[6]))
for _, sid in ipairs(sids) do
  local record = redis.call('GET', ARGV[3] .. sid)
  redis.call('DEL', ARGV[3] .. sid)
  redis.call('ZREM', KEYS[2], sid)
  redis.call('ZREM', KEYS[3], sid)
  redis.call('ZREM', KEYS[4], sid)
  local marker = ARGV[4] .. sid
  if redis.call('PTTL', marker) < ttl then redis.call('SET', marker, '1', 'PX', ttl) end
  if record then table.insert(ended, record) end
end
-- Sessions left to the cutoff: it must outlive every record they list.
if redis.call('ZCOUNT', KEYS[4], '-inf', kept) > 0 then
  for _, index in ipairs({ KEYS[2], KEYS[3], KEYS[4] }) do
    local indexTtl = redis.call('PTTL', index)
    if indexTtl > keyTtl then keyTtl = indexTtl end
  end
  redis.call('PEXPIRE', KEYS[1], keyTtl)
end
return ended
