-- Records a new session under the per-user cap, in one atomic step. Active sessions are those
-- not past expiresAt and created after the epoch and the user's cutoff; the least recently used
-- are evicted first.
-- KEYS[1] user's session index, KEYS[2] new record, KEYS[3] user's cutoff
-- ARGV[1] sid, ARGV[2] record JSON, ARGV[3] record ttl (ms), ARGV[4] lastUsedAt,
-- ARGV[5] max (or 'inf'), ARGV[6] 'evict' | 'refuse', ARGV[7] now, ARGV[8] epoch ('' = none),
-- ARGV[9] evicted marker ttl (ms), ARGV[10] session record prefix, ARGV[11] revoked marker prefix,
-- ARGV[12] the new session's createdAt
-- Replies { -1 } when the user's cutoff covers the session (isCutOff in sessions/cutoff.ts: a
-- revokeUser landed after the login began), { 0 } when refused by the cap, else { 1, evicted... }.
local now = tonumber(ARGV[7])
local epoch = tonumber(ARGV[8])
local cut = tonumber(redis.call('GET', KEYS[3]) or '')
if cut ~= nil and cut >= tonumber(ARGV[12]) then return { -1 } end
local active = {}
-- ZRANGE by score ascending: least recently used first.
for _, sid in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local record = redis.call('GET', ARGV[10] .. sid)
  if not record then
    redis.call('ZREM', KEYS[1], sid)
  else
    local s = cjson.decode(record)
    if now < s.expiresAt and (epoch == nil or s.createdAt > epoch)
      and (cut == nil or s.createdAt > cut) then
      table.insert(active, { sid, record })
    end
  end
end

local evicted = {}
if ARGV[5] ~= 'inf' then
  local excess = #active + 1 - tonumber(ARGV[5])
  if excess > 0 then
    if ARGV[6] == 'refuse' then return { 0 } end
    local ttl = tonumber(ARGV[9])
    for i = 1, excess do
      local sid = active[i][1]
      redis.call('DEL', ARGV[10] .. sid)
      redis.call('ZREM', KEYS[1], sid)
      local marker = ARGV[11] .. sid
      if redis.call('PTTL', marker) < ttl then redis.call('SET', marker, '1', 'PX', ttl) end
      table.insert(evicted, active[i][2])
    end
  end
end

local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[1], tonumber(ARGV[4]), ARGV[1])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
local reply = { 1 }
for _, record in ipairs(evicted) do table.insert(reply, record) end
return reply
