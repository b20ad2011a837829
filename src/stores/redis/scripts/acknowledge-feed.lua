-- A replica acknowledges its feed position: the expiring position key and the set of replica
-- ids are written together, so a reader never sees the id pruned while its key is alive.
-- KEYS[1] the replica's position key; KEYS[2] the set of replica ids
-- ARGV[1] replica id; ARGV[2] position (a stream id); ARGV[3] ttl (ms)
redis.call('SET', KEYS[1], ARGV[2], 'PX', tonumber(ARGV[3]))
redis.call('SADD', KEYS[2], ARGV[1])
return 1
