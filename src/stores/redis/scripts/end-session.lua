-- Ends one session: deletes its record, drops it from the user's indexes, marks it revoked.
-- KEYS[1] record, KEYS[2] user's sessions by last use, KEYS[3] user's revoked marker for the sid,
-- KEYS[4] user's sessions by expiresAt, KEYS[5] by createdAt
-- ARGV[1] sid, ARGV[2] marker ttl (ms)
local record = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[3]) < ttl then redis.call('SET', KEYS[3], '1', 'PX', ttl) end
return record
