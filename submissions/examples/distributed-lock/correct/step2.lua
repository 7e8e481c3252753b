-- Release the lock only if it still holds our token.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
else
  return 0
end
