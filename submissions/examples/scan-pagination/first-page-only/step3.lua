local page = redis.call('SCAN', '0', 'MATCH', ARGV[1], 'COUNT', ARGV[2])
local n = 0
for _, key in ipairs(page[2]) do n = n + redis.call('DEL', key) end
return n
