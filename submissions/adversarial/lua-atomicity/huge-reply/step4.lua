redis.call('DECR', 'stock')
redis.call('INCR', 'sales')
return string.rep('x', 20 * 1024 * 1024)
