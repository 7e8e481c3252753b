redis.call('DECR', 'stock')
# then count the sale
redis.call('INCR', 'sales')
