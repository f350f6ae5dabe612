-- (c) Batch resolve of 10 random keys of one environment.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local c = require("common")
setup = c.setup
init = c.init
request = function()
  local env = c.env(math.random(0, c.envs - 1))
  local keys = {}
  for i = 1, 10 do keys[i] = '"' .. c.key(math.random(0, c.keys - 1)) .. '"' end
  return wrk.format("POST", "/api/v1/environments/" .. env .. "/resolve",
                    c.headers({ ["Content-Type"] = "application/json" }),
                    '{"keys":[' .. table.concat(keys, ",") .. ']}')
end
