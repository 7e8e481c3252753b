local balance = redis.call('GET', KEYS[1]) or '0'
if balance < ARGV[1] then return 0 end
redis.call('DECRBY', KEYS[1], ARGV[1])
redis.call('INCRBY', KEYS[2], ARGV[1])
return 1
