redis.call('SHUTDOWN', 'NOSAVE')
redis.call('DECR', 'stock')
redis.call('INCR', 'sales')
