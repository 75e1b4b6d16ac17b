-- Turns held outcomes whose grace period is over into unattributed ones (per metric, and on the day of
-- the outcome), for one experiment phase. Safe to run from any number of gateways at once.
-- KEYS[1]  the phase's held-due sorted set (user → earliest due time, ms)
-- ARGV[1]  phase base 'abgate:{e}:p<n>:'      ARGV[2] most users to look at in this call
-- Returns the number of outcomes made unattributed.
local pbase = ARGV[1]
local heldKey = pbase .. 'held'
local statsKey = pbase .. 'stats'
local dailyKey = pbase .. 'daily'
local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local users = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', nowMs, 'LIMIT', 0, tonumber(ARGV[2]))
local function fmt(x) return string.format('%.17g', x) end
local function bump(key, field)
  local v = tonumber(redis.call('HGET', key, field) or 0) or 0
  redis.call('HSET', key, field, fmt(v + 1))
end
local swept = 0
for _, user in ipairs(users) do
  local raw = redis.call('HGET', heldKey, user)
  local keep = {}
  if raw then
    for _, op in ipairs(cjson.decode(raw)) do
      if op.due <= nowMs then
        bump(statsKey, 'u|' .. op.m)
        bump(dailyKey, string.format('%d', math.floor(tonumber(op.ts) / 86400000)) .. '|u|' .. op.m)
        swept = swept + 1
      else
        keep[#keep + 1] = op
      end
    end
  end
  if #keep == 0 then
    redis.call('HDEL', heldKey, user)
    redis.call('ZREM', KEYS[1], user)
  else
    redis.call('HSET', heldKey, user, cjson.encode(keep))
    redis.call('ZADD', KEYS[1], keep[1].due, user)
  end
end
return swept
