local stock = redis.call('DECR', 'stock')
local sales = redis.call('INCR', 'sales')
return {stock, sales}
