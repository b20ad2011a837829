-- Compare-and-swap of one session record: applies the change only when the record is still
-- exactly what the caller read. The refresh rules themselves run in JavaScript
-- (records/rotation.ts); this script makes their outcome atomic.
-- KEYS[1] record, KEYS[2] user's session index, KEYS[3] user's revoked marker for the sid,
-- KEYS[4] user's cutoff, KEYS[5] user's sessions by expiresAt, KEYS[6] by createdAt
-- ARGV[1] expected record JSON, ARGV[2] 'save' | 'end', ARGV[3] sid,
-- save: ARGV[4] new record JSON, ARGV[5] record ttl (ms), ARGV[6] lastUsedAt,
--       ARGV[7] the user's cutoff as read ('' = none): a rotation decided under an older cutoff
--       must not save an heir (records/cutoff.ts), ARGV[8] expiresAt, ARGV[9] createdAt
-- end:  ARGV[4] marker ttl (ms)
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == 'save' then
  if (redis.call('GET', KEYS[4]) or '') ~= ARGV[7] then return 0 end
  local ttl = tonumber(ARGV[5])
  redis.call('SET', KEYS[1], ARGV[4], 'PX', ttl)
  redis.call('ZADD', KEYS[2], tonumber(ARGV[6]), ARGV[3])
  redis.call('ZADD', KEYS[5], tonumber(ARGV[8]), ARGV[3])
  redis.call('ZADD', KEYS[6], tonumber(ARGV[9]), ARGV[3])
  for _, index in ipairs({ KEYS[2], KEYS[5], KEYS[6] }) do
    if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
  end
else
  local ttl = tonumber(ARGV[4])
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('ZREM', KEYS[5], ARGV[3])
  redis.call('ZREM', KEYS[6], ARGV[3])
  if redis.call('PTTL', KEYS[3]) < ttl then redis.call('SET', KEYS[3], '1', 'PX', ttl) end
end
return 1
