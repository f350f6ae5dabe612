-- (f) 90 % reveals, 10 % puts.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local c = require("common")
setup = c.setup
init = c.init
request = function()
  if math.random(1, 10) == 1 then return c.put() end
  return c.reveal()
end
