local stock = redis.call('DECRBY', 'stock', 1)
local sales = redis.call('INCRBY', 'sales', 1)
return {stock, sales}
