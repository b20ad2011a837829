-- Adds a session id to its user's set of owned sids (forgetUser finds every owner pointer of the
-- user through it) and keeps the set alive at least as long as the pointer: PEXPIRE only ever
-- lengthens it (Redis 6.2 has no PEXPIRE GT).
-- KEYS[1] the user's owned-sid set; ARGV[1] sid, ARGV[2] ttl (ms)
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
