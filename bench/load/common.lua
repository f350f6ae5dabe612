-- Shared by the wrk scripts of bench/load.sh: the token and the shape of the data that
-- populate.py wrote. wrk itself counts answers that are not 2xx; load.sh reports them.
local M = {}

M.token = os.getenv("SVAULT_TOKEN")
M.envs = tonumber(os.getenv("BENCH_ENVS") or "10")
M.keys = tonumber(os.getenv("BENCH_KEYS_PER_ENV") or "1000")

function M.env(i) return string.format("env-%02d", i) end
function M.key(i) return string.format("KEY_%05d", i) end

-- A random existing secret: environment and key.
function M.random_secret()
  return M.env(math.random(0, M.envs - 1)), M.key(math.random(0, M.keys - 1))
end

function M.headers(extra)
  local h = { ["Authorization"] = "Bearer " .. M.token }
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

-- Each wrk thread has its own Lua state; give each its own random sequence.
local next_id = 0
function M.setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
end
function M.init()
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
end

function M.reveal()
  local env, key = M.random_secret()
  return wrk.format("GET", "/api/v1/environments/" .. env .. "/values/" .. key, M.headers())
end

local put_counter = 0
function M.put()
  local env, key = M.random_secret()
  put_counter = put_counter + 1
  local body = string.format('{"value":"bench-%d-%d-%d"}', thread_id or 0, put_counter,
                             math.random(0, 1000000000))
  return wrk.format("PUT", "/api/v1/environments/" .. env .. "/secrets/" .. key,
                    M.headers({ ["Content-Type"] = "application/json" }), body)
end

return M
