redis.call('DECRR', 'stock')
redis.call('INCR', 'sales')
