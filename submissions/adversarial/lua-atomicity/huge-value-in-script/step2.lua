redis.call('DECR', 'stock')
redis.call('INCR', 'sales')
redis.call('SETRANGE', 'stock', 17000000, 'x')
