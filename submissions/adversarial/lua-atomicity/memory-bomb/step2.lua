local s = 'x'
local t = {}
while true do
  s = s .. s
  t[#t + 1] = s
end
