local cursor, n = '0', 0
local prefix = string.sub(ARGV[1], 1, -2)
repeat
  local r = redis.call('SCAN', cursor, 'COUNT', ARGV[2])
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    if string.sub(k, 1, #prefix) == prefix then n = n + redis.call('DEL', k) end
  end
until cursor == '0'
return n
