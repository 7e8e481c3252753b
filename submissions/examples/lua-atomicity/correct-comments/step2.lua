-- sell one unit
redis.call('DECR', 'stock') -- one less in stock
redis.call('INCR', 'sales') -- one more sold
