-- Counts the replicas with a live acknowledgement whose position is before ARGV[2], and
-- forgets the ids whose acknowledgement expired (atomically: a replica renewing its key runs
-- its own script before or after this one, never in between).
-- KEYS[1] the set of replica ids (the position keys share its slot)
-- ARGV[1] prefix of the position keys; ARGV[2] the position (a stream id "<ms>-<seq>")
local function parse(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end
local targetMs, targetSeq = parse(ARGV[2])
local behind = 0
for _, replica in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local position = redis.call('GET', ARGV[1] .. replica)
  if not position then
    redis.call('SREM', KEYS[1], replica)
  else
    local ms, seq = parse(position)
    if ms < targetMs or (ms == targetMs and seq < targetSeq) then behind = behind + 1 end
  end
end
return behind
