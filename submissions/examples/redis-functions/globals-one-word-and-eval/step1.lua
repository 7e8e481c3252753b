#!lua name=shop
redis.register_function('sell', function(keys, args)
  local stock = redis.call('DECRBY', KEYS[1], ARGV[1])
  redis.call('INCRBY', KEYS[2], ARGV[1])
  return stock
end)
