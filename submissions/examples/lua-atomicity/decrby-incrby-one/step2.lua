redis.call('DECRBY', 'stock', 1)
redis.call('INCRBY', 'sales', 1)
