redis.call('DECR', 'stock')
redis.call('INCR', 'sales')
