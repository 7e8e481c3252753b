local amount = tonumber(ARGV[1])
local balance = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  balance = tonumber(redis.call('GET', KEYS[1]))
end
if balance < amount then return 0 end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
return 1
