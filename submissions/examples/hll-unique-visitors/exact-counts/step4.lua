local n = tonumber(ARGV[1])
for i = 1, n do
  redis.call('PFADD', KEYS[1], 'visitor:' .. i)
end
redis.call('PFCOUNT', KEYS[1])
return {n, redis.call('STRLEN', KEYS[1])}
