local a = 'wallet:ann'
local b = 'wallet:ben'
redis.call('decrby', a, ARGV[1])
redis.call('incrby', b, tonumber(ARGV[1]))
return 'ok'
