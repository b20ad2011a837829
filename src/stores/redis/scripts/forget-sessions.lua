-- Forgets up to ARGV[2] of a user's session records (forgetUser), a bounded slice per call so a
-- huge account never stalls Redis; the caller repeats until nothing is left. Revoked-session
-- markers and the user's cutoff stay: they keep the user's issued tokens rejected.
-- KEYS[1] user's sessions by last use, KEYS[2] by expiresAt, KEYS[3] by createdAt
-- ARGV[1] the user's session record prefix, ARGV[2] slice size
-- Returns the sids forgotten (their owner pointers live in other slots: the caller drops them).
local limit = tonumber(ARGV[2])
local forgotten = {}
local seen = {}
for _, index in ipairs({ KEYS[1], KEYS[2], KEYS[3] }) do
  if #forgotten >= limit then break end
  for _, sid in ipairs(redis.call('ZRANGE', index, 0, limit - #forgotten - 1)) do
    if not seen[sid] then
      seen[sid] = true
      redis.call('DEL', ARGV[1] .. sid)
      redis.call('ZREM', KEYS[1], sid)
      redis.call('ZREM', KEYS[2], sid)
      redis.call('ZREM', KEYS[3], sid)
      forgotten[#forgotten + 1] = sid
    end
  end
end
return forgotten
