local b = tonumber(redis.call('GET', KEYS[1]))
local a = tonumber(ARGV[1])
if b < a then return 0 end
redis.call('DECRBY', KEYS[1], a)
redis.call('INCRBY', KEYS[2], a)
return 1
