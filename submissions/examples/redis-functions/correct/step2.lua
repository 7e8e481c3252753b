#!lua name=shop

local function sell(keys, args)
  local qty = tonumber(args[1])
  local stock = tonumber(redis.call('GET', keys[1]) or '0')
  if stock < qty then
    return redis.error_reply('OUTOFSTOCK only ' .. stock .. ' left')
  end
  redis.call('INCRBY', keys[2], qty)
  return redis.call('DECRBY', keys[1], qty)
end

redis.register_function('sell', sell)
