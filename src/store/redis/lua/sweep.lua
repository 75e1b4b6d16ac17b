-- Turns held outcomes whose grace period is over into unattributed ones (per metric), for one
-- experiment phase. Safe to run from any number of gateways at once.
-- KEYS     every key the script touches (Redis Cluster: see apply.lua): the phase's held-due sorted set
--          (user → earliest due time, ms), held hash, stats hash and daily hash, in that order
-- ARGV[1]  most users to look at in this call        ARGV[2] now, ms (the gateway's clock)
-- Returns the number of outcomes made unattributed.
-- Reads first, then writes, deletions last: a deletion may empty (remove) a key, and on a slot being
-- migrated Redis refuses, mid-script, to touch a key the node no longer has.
local dueKey, heldKey, statsKey, dailyKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local nowMs = tonumber(ARGV[2])
local todayPrefix = string.format('%d', math.floor(nowMs / 86400000)) .. '|'
local users = redis.call('ZRANGEBYSCORE', dueKey, '-inf', nowMs, 'LIMIT', 0, tonumber(ARGV[1]))
local function fmt(x) return string.format('%.17g', x) end
local swept = 0
local bumps, bumpOrder = {}, {}
local kept, gone = {}, {}
for _, user in ipairs(users) do
  local raw = redis.call('HGET', heldKey, user)
  local keep = {}
  if raw then
    for _, op in ipairs(cjson.decode(raw)) do
      if op.due <= nowMs then
        local field = 'u|' .. op.m
        if bumps[field] == nil then bumps[field] = 0; bumpOrder[#bumpOrder + 1] = field end
        bumps[field] = bumps[field] + 1
        swept = swept + 1
      else
        keep[#keep + 1] = op
      end
    end
  end
  if #keep == 0 then gone[#gone + 1] = user else kept[#kept + 1] = { user, keep } end
end
-- Like PhaseState.add: the total, and its value at the end of today.
for _, field in ipairs(bumpOrder) do
  local v = (tonumber(redis.call('HGET', statsKey, field) or 0) or 0) + bumps[field]
  redis.call('HSET', statsKey, field, fmt(v))
  redis.call('HSET', dailyKey, todayPrefix .. field, fmt(v))
end
for _, k in ipairs(kept) do
  redis.call('HSET', heldKey, k[1], cjson.encode(k[2]))
  redis.call('ZADD', dueKey, k[2][1].due, k[1])
end
for _, user in ipairs(gone) do
  redis.call('HDEL', heldKey, user)
  redis.call('ZREM', dueKey, user)
end
return swept
