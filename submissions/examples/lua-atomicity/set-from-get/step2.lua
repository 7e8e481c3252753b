redis.call('SET', 'stock', redis.call('GET', 'stock') - 1)
redis.call('SET', 'sales', redis.call('GET', 'sales') + 1)
