local key, n = KEYS[1], tonumber(ARGV[1])
for i = 1, n do
  redis.pcall('pfadd', key, 'visitor:' .. tostring(i))
end
local count = redis.call('PFCOUNT', key)
local size = redis.call('STRLEN', key)
return {count, size}
