redis.call('DECR', KEYS[1])
redis.call('INCR', KEYS[2])
