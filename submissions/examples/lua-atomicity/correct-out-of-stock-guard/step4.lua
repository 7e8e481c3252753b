local current = tonumber(redis.call('GET', 'stock'))
if current <= 0 then
  return redis.error_reply('out of stock')
end
local stock = redis.call('DECR', 'stock')
local sales = redis.call('INCR', 'sales')
return {stock, sales}
