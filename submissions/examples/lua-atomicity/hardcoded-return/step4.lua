redis.call('DECR', 'stock')
redis.call('INCR', 'sales')
return {99, 1}
