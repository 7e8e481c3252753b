local k = 'lock:report'
if redis.call('GET', k) == 'token-a' then return redis.call('DEL', k) end
return 0
