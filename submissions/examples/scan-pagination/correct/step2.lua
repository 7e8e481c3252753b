-- Walk the whole keyspace a page at a time; a key may come back twice.
local seen = {}
local total = 0
local cursor = "0"
while true do
  local reply = redis.call("SCAN", cursor, "MATCH", ARGV[1], "COUNT", ARGV[2])
  for i = 1, #reply[2] do
    local key = reply[2][i]
    if seen[key] == nil then
      seen[key] = true
      total = total + 1
    end
  end
  cursor = reply[1]
  if cursor == "0" then break end
end
return total
