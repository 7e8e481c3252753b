local cursor = '0'
local seen = {}
repeat
  local r = redis.pcall('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', ARGV[2])
  cursor = r[1]
  for _, k in ipairs(r[2]) do seen[k] = true end
until cursor == '0'
local n = 0
for _ in pairs(seen) do n = n + 1 end
return n
