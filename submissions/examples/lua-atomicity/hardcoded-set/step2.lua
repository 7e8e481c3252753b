redis.call('SET', 'stock', '99')
redis.call('SET', 'sales', '1')
