local stock = tonumber(redis.call('GET', 'stock'))
local sales = tonumber(redis.call('GET', 'sales'))
redis.call('SET', 'stock', stock - 1)
redis.call('SET', 'sales', sales + 1)
