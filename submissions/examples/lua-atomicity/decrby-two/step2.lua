redis.call('DECRBY', 'stock', 2)
redis.call('INCR', 'sales')
