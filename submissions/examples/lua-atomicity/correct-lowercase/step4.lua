local stock = redis.call('decr', 'stock')
local sales = redis.call('incr', 'sales')
return {stock, sales}
