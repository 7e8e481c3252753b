local key, limit, window = KEYS[1], tonumber(ARGV[1]), ARGV[2]
local n = redis.pcall('INCR', key)
if n == 1 then redis.pcall('EXPIRE', key, window) end
return (n <= limit) and 1 or 0
