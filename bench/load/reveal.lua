-- (b) Reveal one value: a random existing key of a random environment.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local c = require("common")
setup = c.setup
init = c.init
request = c.reveal
