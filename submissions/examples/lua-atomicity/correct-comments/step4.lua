-- sell one unit and report the new counts
local stock = redis.call('DECR', 'stock')
local sales = redis.call('INCR', 'sales')

-- stock first, then sales
return {stock, sales}
