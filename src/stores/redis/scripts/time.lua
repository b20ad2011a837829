-- The server's clock in milliseconds: the one time authority of every instance sharing this Redis.
-- KEYS[1] a key of the slot to ask (the epoch's), so a cluster always answers from one node.
local t = redis.call('TIME')
return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
