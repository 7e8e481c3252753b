local cursor, n = '0', 0
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', ARGV[2])
  cursor = page[1]
  if #page[2] > 0 then n = n + redis.call('UNLINK', unpack(page[2])) end
until cursor == '0'
return n
