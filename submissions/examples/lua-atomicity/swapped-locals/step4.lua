local sold = redis.call('INCR', 'sales')
local left = redis.call('DECR', 'stock')
return {sold, left}
