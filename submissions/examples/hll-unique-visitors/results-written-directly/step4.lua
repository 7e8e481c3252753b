for i = 1, 1000 do
  redis.call('PFADD', 'visitors:launch', 'visitor:' .. i)
end
return {redis.call('PFCOUNT', 'visitors:launch'), redis.call('STRLEN', 'visitors:launch')}
