redis.call('DECR', 'stock')
redis.call('INCR', 'sales')
while true do end
