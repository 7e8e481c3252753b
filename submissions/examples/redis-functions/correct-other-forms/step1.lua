#!lua name=shop
redis.register_function{function_name='sell', callback=function(keys, args)
  local qty = args[1]
  redis.pcall('incrby', keys[2], qty)
  return redis.pcall('decrby', keys[1], qty)
end}
