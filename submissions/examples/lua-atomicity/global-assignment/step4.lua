stock = redis.call('DECR', 'stock')
sales = redis.call('INCR', 'sales')
return {stock, sales}
