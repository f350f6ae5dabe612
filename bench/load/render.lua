-- (d) Render the 60 KB BPMN with 50 references (bench/data/servicenow-dense.bpmn) in env-00.
package.path = os.getenv("BENCH_LUA_DIR") .. "/?.lua;" .. package.path
local c = require("common")
local file = assert(io.open(os.getenv("BENCH_BPMN"), "rb"))
local document = file:read("*a")
file:close()
-- One fixed request: wrk builds it once per thread from these fields.
wrk.method = "POST"
wrk.path = "/api/v1/environments/env-00/render?format=xml"
wrk.headers = c.headers({ ["Content-Type"] = "application/xml" })
wrk.body = document
