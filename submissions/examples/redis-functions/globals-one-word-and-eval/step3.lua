#!lua name=shop
redis.register_function('restock', function(keys, args)
  return redis.call('INCRBY', keys[1], args[1])
end)
