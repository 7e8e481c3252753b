redis.call('DECR', 'stock')
redis.call('INCR', 'sales')
return {redis.call('GET', 'stock'), redis.call('GET', 'sales')}
