-- Reads and deletes one key in one step (GETDEL, for servers and clients without it): a
-- suspension lifted by reinstateUser is reported exactly once, and a suspension written between
-- a separate read and delete could not be lost.
-- KEYS[1] the key. Returns its value, or nil.
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value
