--[[
  Sell one unit.
  Both calls run inside one script, so no other
  client can run a command between them.
]]

-- take one unit from stock
redis.call('DECR', 'stock')

-- count it as sold
redis.call('INCR', 'sales')
