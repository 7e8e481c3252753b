local k = 'rate:alice'
local n = redis.call('INCR', k)
if n == 1 then redis.call('EXPIRE', k, ARGV[2]) end
if n > tonumber(ARGV[1]) then return 0 end
return 1
