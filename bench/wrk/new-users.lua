-- wrk script: POST a prediction as a user never seen before, every request (an exposure each).
-- Ids are a per-run prefix (WRK_PREFIX, else the clock) and a counter, so runs never share users.
-- Use with -t1 (one Lua state, one counter).
local prefix = os.getenv("WRK_PREFIX") or tostring(os.time())
local n = 0

wrk.method = "POST"
wrk.body = '{"features":{"query_length":3,"position":2,"price":19.99}}'
wrk.headers["content-type"] = "application/json"

request = function()
  n = n + 1
  wrk.headers["x-user-id"] = "n" .. prefix .. "-" .. n
  return wrk.format()
end
