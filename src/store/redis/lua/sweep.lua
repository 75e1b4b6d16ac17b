-- Turns held outcomes whose grace period is over into unattributed ones (per metric), for one
-- experiment phase. Safe to run from any number of gateways at once.
-- KEYS[1]  the phase's held-due sorted set (user → earliest due time, ms)
-- ARGV[1]  phase base 'abgate:{e}:p<n>:'      ARGV[2] most users to look at in this call
-- ARGV[3]  now, ms (the gateway's clock)
-- Returns the number of outcomes made unattributed.
local pbase = ARGV[1]
local heldKey = pbase .. 'held'
local statsKey = pbase .. 'stats'
local dailyKey = pbase .. 'daily'
local nowMs = tonumber(ARGV[3])
local todayPrefix = string.format('%d', math.floor(nowMs / 86400000)) .. '|'
local users = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', nowMs, 'LIMIT', 0, tonumber(ARGV[2]))
local function fmt(x) return string.format('%.17g', x) end
-- Like PhaseState.add: the total, and its value at the end of today.
local function bump(field)
  local v = (tonumber(redis.call('HGET', statsKey, field) or 0) or 0) + 1
  redis.call('HSET', statsKey, field, fmt(v))
  redis.call('HSET', dailyKey, todayPrefix .. field, fmt(v))
end
local swept = 0
for _, user in ipairs(users) do
  local raw = redis.call('HGET', heldKey, user)
  local keep = {}
  if raw then
    for _, op in ipairs(cjson.decode(raw)) do
      if op.due <= nowMs then
        bump('u|' .. op.m)
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
