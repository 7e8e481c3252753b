redis.call('DECR', 'stock')
redis.call('INCR', 'sales')
local stock = tonumber(redis.call('GET', 'stock'))
local sales = tonumber(redis.call('GET', 'sales'))
return {stock, sales}
