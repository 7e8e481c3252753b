local s = redis.call('DECR', 'stock'); local n = redis.call('INCR', 'sales'); return {s, n}
