#!lua name=shop
redis.register_function('sell', function(keys, args)
  local qty = tonumber(args[1])
  local stock = tonumber(redis.call('GET', keys[1]) or 0)
  if stock < qty then return {err = 'OUTOFSTOCK not enough apples'} end
  redis.call('INCRBY', keys[2], qty)
  return redis.call('DECRBY', keys[1], qty)
end)
