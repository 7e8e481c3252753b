local stock = tonumber(redis.call('GET', 'stock'))
if stock <= 0 then
  return redis.error_reply('out of stock')
end
redis.call('DECR', 'stock')
redis.call('INCR', 'sales')
