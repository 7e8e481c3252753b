--[[ Sell one unit and return the new counts. ]]

-- DECR and INCR return the value they leave
local newStock = redis.call('DECR', 'stock')
local newSales = redis.call('INCR', 'sales')

-- a Lua table becomes an array reply: stock first
return {newStock, newSales}
