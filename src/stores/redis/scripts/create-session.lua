-- Records a new session under the per-user cap, in one atomic step whose cost does not grow with
-- the user's sessions: O(log n) index updates plus bounded slices (ARGV[14] entries at most per
-- slice). Active sessions are those not past expiresAt and created after the epoch and the
-- user's cutoff; the least recently used are evicted first.
-- KEYS[1] user's sessions by last use, KEYS[2] new record, KEYS[3] user's cutoff,
-- KEYS[4] user's sessions by expiresAt, KEYS[5] user's sessions by createdAt
-- ARGV[1] sid, ARGV[2] record JSON, ARGV[3] record ttl (ms), ARGV[4] lastUsedAt,
-- ARGV[5] max (or 'inf'), ARGV[6] 'evict' | 'refuse', ARGV[7] now, ARGV[8] epoch ('' = none),
-- ARGV[9] evicted marker ttl (ms), ARGV[10] session record prefix, ARGV[11] revoked marker prefix,
-- ARGV[12] the new session's createdAt, ARGV[13] its expiresAt, ARGV[14] slice size
-- Replies { -1 } when the user's cutoff covers the session (isCutOff in records/cutoff.ts: a
-- revokeUser landed after the login began), { 0 } when refused by the cap, else { 1, evicted... }.
local now = tonumber(ARGV[7])
local epoch = tonumber(ARGV[8])
local cut = tonumber(redis.call('GET', KEYS[3]) or '')
if cut ~= nil and cut >= tonumber(ARGV[12]) then return { -1 } end
local slice = tonumber(ARGV[14])
local markerTtl = tonumber(ARGV[9])

local function unindex(sid)
  redis.call('ZREM', KEYS[1], sid)
  redis.call('ZREM', KEYS[4], sid)
  redis.call('ZREM', KEYS[5], sid)
end
-- Ends a session as revokeSession does: record gone, revoked marker set.
local function finish(sid)
  redis.call('DEL', ARGV[10] .. sid)
  unindex(sid)
  local marker = ARGV[11] .. sid
  if redis.call('PTTL', marker) < markerTtl then redis.call('SET', marker, '1', 'PX', markerTtl) end
end

-- The sessions a revokeUser left to end lazily (its cutoff already kills them), a slice at a time.
if cut ~= nil then
  for _, sid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', cut, 'LIMIT', 0, slice)) do
    finish(sid)
  end
end
-- Sessions the epoch killed and sessions past expiresAt no longer count; their records stay
-- until their own TTL (an expired record still answers reuse detection).
if epoch ~= nil then
  for _, sid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', epoch, 'LIMIT', 0, slice)) do
    unindex(sid)
  end
end
for _, sid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now, 'LIMIT', 0, slice)) do
  unindex(sid)
end

-- The cap, by ZCARD. What the slices above left over (more dead entries than a slice) is
-- dropped here when the least recently used entries turn out dead, so the count converges.
local evicted = {}
if ARGV[5] ~= 'inf' then
  local max = tonumber(ARGV[5])
  local count = redis.call('ZCARD', KEYS[1])
  if count >= max then
    for _, sid in ipairs(redis.call('ZRANGE', KEYS[1], 0, slice - 1)) do
      if count < max then break end
      local record = redis.call('GET', ARGV[10] .. sid)
      local s = record and cjson.decode(record)
      if not s or not (now < s.expiresAt and (epoch == nil or s.createdAt > epoch)
          and (cut == nil or s.createdAt > cut)) then
        unindex(sid)
      elseif ARGV[6] == 'refuse' then
        return { 0 }
      else
        finish(sid)
        table.insert(evicted, record)
      end
      count = count - 1
    end
    -- A cap lowered far below a user's sessions converges a slice per login; 'refuse' holds.
    if count >= max and ARGV[6] == 'refuse' then return { 0 } end
  end
end

local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[1], tonumber(ARGV[4]), ARGV[1])
redis.call('ZADD', KEYS[4], tonumber(ARGV[13]), ARGV[1])
redis.call('ZADD', KEYS[5], tonumber(ARGV[12]), ARGV[1])
for _, index in ipairs({ KEYS[1], KEYS[4], KEYS[5] }) do
  if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
end
local reply = { 1 }
for _, record in ipairs(evicted) do table.insert(reply, record) end
return reply
