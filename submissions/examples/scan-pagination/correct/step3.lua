local cursor, deleted = "0", 0
repeat
  local reply = redis.call("SCAN", cursor, "MATCH", ARGV[1], "COUNT", ARGV[2])
  cursor = reply[1]
  for _, key in ipairs(reply[2]) do
    deleted = deleted + redis.call("UNLINK", key)
  end
until cursor == "0"
return deleted
