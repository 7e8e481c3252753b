for i = 1, tonumber(ARGV[1]) do
  redis.call('PFADD', KEYS[1], 'visitor:' .. i)
end
return {redis.call('PFCOUNT', KEYS[1]), redis.call('STRLEN', KEYS[1])}
