-- wrk script: POST a prediction for a returning user: ids follow a Zipf distribution (s = 1) over
-- 1,000,000 users, as in production (a few users send most requests, a long tail sends few).
--
-- Rank k = floor((N + 1)^u) for u uniform in [0, 1) gives P(k) = ln(1 + 1/k) / ln(N + 1) ≈ 1 / (k ln N):
-- Zipf with exponent 1 by inverting the continuous CDF, no table needed.
local N = tonumber(os.getenv("WRK_USERS") or "1000000")
local logN1 = math.log(N + 1)
math.randomseed(tonumber(os.getenv("WRK_SEED") or "1"))

wrk.method = "POST"
wrk.body = '{"features":{"query_length":3,"position":2,"price":19.99}}'
wrk.headers["content-type"] = "application/json"

request = function()
  local k = math.floor(math.exp(math.random() * logN1))
  if k > N then k = N end
  wrk.headers["x-user-id"] = "z" .. k
  return wrk.format()
end
