-- (e) Durable puts: a new version of a random existing key.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local c = require("common")
setup = c.setup
init = c.init
request = c.put
