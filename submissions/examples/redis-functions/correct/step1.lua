#!lua name=shop

local function sell(keys, args)
  local stock = redis.call('DECRBY', keys[1], args[1])
  redis.call('INCRBY', keys[2], args[1])
  return stock
end

redis.register_function('sell', sell)
