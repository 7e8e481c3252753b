redis.call('decr', 'stock')
redis.call('incr', 'sales')
