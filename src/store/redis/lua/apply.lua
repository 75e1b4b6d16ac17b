-- Applies a batch of one writer's events to one experiment phase, atomically.
-- It implements the rules of ../../accumulate.ts and ../../memory-event-store.ts (the reference) with the
-- same floating-point operations in the same order, so both stores hold bit-identical sums.
--
-- KEYS     every key the call may touch (Redis Cluster: while the slot migrates between masters, Redis
--          answers ASK or TRYAGAIN unless the node has all of them, so no key is read on one node while
--          it lives on the other). KEYS[1] is the phase's stats hash; the others are named from the bases
--          below, and the script refuses to touch one that is not declared (see batch-plan.ts callKeys):
--          meta, hw, daily, arm, multi, held, held-due, log, the v1 arm and stats (probed when meta has
--          no epoch), v:<metric> of each outcome's metric and ratio partners (and of the guardrails),
--          and seen:<event id> of each event id. A held outcome whose v:<metric> is not declared makes
--          the call fail before any write with ABGATE_KEYS <key>…: the caller declares them and resends.
-- ARGV[1]  writer id            ARGV[2] event-id marker TTL, s   ARGV[3] attribution grace, ms
-- ARGV[4]  log stream max length (0: no log)                      ARGV[5] epoch candidate
-- ARGV[6]  experiment base 'abgate:{e}:'                          ARGV[7] phase base 'abgate:{e}:p<n>:'
-- ARGV[8]  most outcomes held per user                          ARGV[9] now, ms (the gateway's clock: days, grace)
-- ARGV[10…] operations, each starting with its kind, the writer's generation and sequence:
--   'x', g, s, user, arm, ts, forced(0|1)                                   an exposure
--   'o', g, s, user, metric, type(b|c|m), value, count, cap('' none), event id ('' none), ts,
--        ratio count, then per ratio: name, role(n|d), other metric, other type, other cap ('' none)
--   'g', g, s, user, errors(0|1), latency sum, requests, ts                  a guardrail observation
--
-- Returns { epoch, result per operation }: 's' when the operation was applied before (its (g, s) is at or
-- below the writer's high-water mark: a replay), exposures 1 (first) | 2 (newly seen in another arm) | 0,
-- outcomes and guardrails 'a' (applied) | 'd' (duplicate event id) | 'h' (held: no exposure yet) |
-- 'u' (unattributed: too many held for the user).
--
-- Validate first, write second: every read and computation runs against in-script copies of what earlier
-- operations of the call would write, and every refusal (error code ABGATE_BADEVENT, or ABGATE_MIGRATE
-- while v1 data awaits migration) is raised before the first write. A failed call writes nothing.

local writer = ARGV[1]
local dedupTtl = ARGV[2]
local graceMs = tonumber(ARGV[3])
local maxLen = tonumber(ARGV[4])
local logging = maxLen ~= nil and maxLen > 0
local xbase = ARGV[6]
local pbase = ARGV[7]
local maxHeld = tonumber(ARGV[8])
local statsKey = KEYS[1]
local dailyKey = pbase .. 'daily'
local armKey = pbase .. 'arm'
local multiKey = pbase .. 'multi'
local heldKey = pbase .. 'held'
local dueKey = pbase .. 'held-due'
local hwKey = pbase .. 'hw'
local metaKey = xbase .. 'meta'
local logKey = xbase .. 'log'

local declared = {}
for _, k in ipairs(KEYS) do declared[k] = true end
-- Every key is checked before the script touches it. A key the caller always declares but did not is a
-- bug of the caller (ABGATE_UNDECLARED); values of held outcomes' metrics it learns (ABGATE_KEYS).
local function key(k)
  if not declared[k] then error({err = 'ABGATE_UNDECLARED ' .. k}) end
  return k
end
local v1Arm, v1Stats = xbase .. 'arm', xbase .. 'stats'
for _, k in ipairs({ dailyKey, armKey, multiKey, heldKey, dueKey, hwKey, metaKey, logKey, v1Arm, v1Stats }) do key(k) end

local function fmt(x) return string.format('%.17g', x) end
local function bad(msg) error({err = 'ABGATE_BADEVENT ' .. msg}) end
local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end
local function num(raw, what)
  local v = tonumber(raw)
  if v == nil or not finite(v) then bad(what .. ' is not a finite number: ' .. tostring(raw)) end
  return v
end

-- Schema and epoch. The epoch changes only when the experiment's keys were lost (no persistence, a
-- failover without the latest writes, eviction): gateways then forget which users they already exposed.
local epoch = redis.call('HGET', metaKey, 'epoch')
local newMeta = false
if not epoch then
  if redis.call('EXISTS', v1Arm) == 1 or redis.call('EXISTS', v1Stats) == 1 then
    error({err = 'ABGATE_MIGRATE this experiment still has abgate v1 data: waiting for its migration'})
  end
  epoch = ARGV[5]
  newMeta = true
end

local nowMs = tonumber(ARGV[9])
if nowMs == nil then error({err = 'ABGATE_BADEVENT malformed clock'}) end
local today = math.floor(nowMs / 86400000)
local todayPrefix = string.format('%d', today) .. '|'

-- High-water mark of this writer in this phase.
local hw = redis.call('HGET', hwKey, writer)
local hwGen, hwSeq = -1, -1
if hw then
  local g, s = string.match(hw, '^(%d+):(%d+)$')
  if not g then bad('malformed high-water mark ' .. hw) end
  hwGen, hwSeq = tonumber(g), tonumber(s)
end
local topGen, topSeq = hwGen, hwSeq
local function fresh(g, s)
  if g == nil or s == nil then bad('malformed operation number') end
  if g < hwGen or (g == hwGen and s <= hwSeq) then return false end
  if g > topGen or (g == topGen and s > topSeq) then topGen, topSeq = g, s end
  return true
end

-- Phase 1 state: what the server holds, overlaid with what this call will write.
local stats, statDirty, statOrder = {}, {}, {}
local daily, dailyDirty, dailyOrder = {}, {}, {}
local armOf, newArms = {}, {}
local multi, newMulti = {}, {}
local values, valueDirty = {}, {}
local markers, markerWrites = {}, {}
local held, heldDirty = {}, {}
local heldExists = nil
local logs = {}

local function getStat(f)
  local v = stats[f]
  if v == nil then
    v = num(redis.call('HGET', statsKey, f) or 0, 'stats field ' .. f)
    stats[f] = v
  end
  return v
end
local function setStat(f, v)
  if not finite(v) then bad('stats field ' .. f .. ' would overflow') end
  stats[f] = v
  if not statDirty[f] then statDirty[f] = true; statOrder[#statOrder + 1] = f end
end
local function setDaily(f, v)
  if not finite(v) then bad('daily field ' .. f .. ' would overflow') end
  daily[f] = v
  if not dailyDirty[f] then dailyDirty[f] = true; dailyOrder[#dailyOrder + 1] = f end
end
-- Same as PhaseState.set / add: the total, and its value at the end of today.
local function set(f, v)
  setStat(f, v)
  setDaily(todayPrefix .. f, v)
end
local function add(f, d)
  if d == 0 then return end
  set(f, getStat(f) + d)
end

local function getArm(user)
  local a = armOf[user]
  if a == nil then
    a = redis.call('HGET', armKey, user) or false
    armOf[user] = a
  end
  return a
end

-- A user's running value: { sum } or, for mean metrics, { sum, count }; false when none.
local function getValue(metric, user)
  local byUser = values[metric]
  if byUser == nil then
    byUser = {}
    values[metric] = byUser
  end
  local v = byUser[user]
  if v == nil then
    local raw = redis.call('HGET', key(pbase .. 'v:' .. metric), user)
    if raw then
      local s, c = string.match(raw, '^([^,]+),([^,]+)$')
      if s then v = { num(s, 'stored value'), num(c, 'stored count') } else v = { num(raw, 'stored value'), 0 } end
    else
      v = false
    end
    byUser[user] = v
  end
  return v
end
local function setValue(metric, user, v)
  values[metric][user] = v
  local dirty = valueDirty[metric]
  if dirty == nil then dirty = { order = {}, seen = {} }; valueDirty[metric] = dirty end
  if not dirty.seen[user] then dirty.seen[user] = true; dirty.order[#dirty.order + 1] = user end
end

local function getMarker(k)
  local m = markers[k]
  if m == nil then
    m = redis.call('EXISTS', key(k)) == 1
    markers[k] = m
  end
  return m
end

local function getHeld(user)
  if heldExists == nil then heldExists = redis.call('EXISTS', heldKey) == 1 end
  local h = held[user]
  if h == nil then
    h = false
    if heldExists then
      local raw = redis.call('HGET', heldKey, user)
      if raw then h = cjson.decode(raw) end
    end
    held[user] = h
  end
  return h
end
local function setHeld(user, list)
  held[user] = list
  heldDirty[#heldDirty + 1] = user
end

local function log(entry) if logging then logs[#logs + 1] = entry end end

-- accumulate.ts nextRaw / contribution / nextMoments / nextCoMoments.
local function nextRaw(mtype, prev, value, count)
  if mtype == 'b' then
    if (prev and prev[1] == 1) or value == 1 then return { 1, 0 } end
    return { 0, 0 }
  end
  if mtype == 'c' then return { (prev and prev[1] or 0) + value, 0 } end
  return { (prev and prev[1] or 0) + value, (prev and prev[2] or 0) + count }
end
local function contribution(mtype, raw, cap)
  if mtype == 'm' then return raw[1] / raw[2] end
  if mtype == 'c' and cap ~= nil and raw[1] > cap then return cap end
  return raw[1]
end
-- Welford on x − shift: a new user, or a user's value replaced (see accumulate.ts nextMoments).
local function nextMoments(users, shift, mean, m2, prev, nextv)
  if users == 0 then shift = nextv end
  local x = nextv - shift
  if prev == nil then
    local u = users + 1
    local d = x - mean
    local mean2 = mean + d / u
    return u, shift, mean2, m2 + d * (x - mean2)
  end
  local change = nextv - prev
  local mean2 = mean + change / users
  return users, shift, mean2, m2 + change * (x - mean2 + (prev - shift - mean))
end
local function nextCoMoments(c, prev, nxt)
  local shiftN, shiftD = c.shiftN, c.shiftD
  if c.users == 0 then shiftN, shiftD = nxt[1], nxt[2] end
  local xn = nxt[1] - shiftN
  local xd = nxt[2] - shiftD
  if prev == nil then
    local u = c.users + 1
    local dn = xn - c.meanN
    local dd = xd - c.meanD
    local meanN = c.meanN + dn / u
    local meanD = c.meanD + dd / u
    return { users = u, shiftN = shiftN, shiftD = shiftD, meanN = meanN, meanD = meanD,
      m2N = c.m2N + dn * (xn - meanN), m2D = c.m2D + dd * (xd - meanD), cND = c.cND + dn * (xd - meanD) }
  end
  local en = nxt[1] - prev[1]
  local ed = nxt[2] - prev[2]
  local meanN = c.meanN + en / c.users
  local meanD = c.meanD + ed / c.users
  return { users = c.users, shiftN = shiftN, shiftD = shiftD, meanN = meanN, meanD = meanD,
    m2N = c.m2N + en * (xn - meanN + (prev[1] - shiftN - c.meanN)),
    m2D = c.m2D + ed * (xd - meanD + (prev[2] - shiftD - c.meanD)),
    cND = c.cND + en * (xd - meanD) + (prev[1] - shiftN - c.meanN) * ed }
end

local function capOf(raw)
  if raw == nil or raw == '' then return nil end
  return num(raw, 'cap')
end

-- PhaseState.apply: the user's value, the metric's statistics, then the ratios it takes part in.
-- op = { m = metric, t = type, v = value string, c = count string, cap = cap string, r = ratios, ts = ts string }
local function apply(user, arm, op)
  local value = num(op.v, 'outcome value')
  local count = num(op.c, 'observation count')
  local cap = capOf(op.cap)
  local metric = op.m
  local prevRaw = getValue(metric, user)
  local nextV = nextRaw(op.t, prevRaw or nil, value, count)
  if not finite(nextV[1]) or not finite(nextV[2]) then bad('user value would overflow') end
  setValue(metric, user, nextV)
  local prev = nil
  if prevRaw then prev = contribution(op.t, prevRaw, cap) end
  local nextc = contribution(op.t, nextV, cap)
  local sfx = '|' .. arm .. '|' .. metric
  if op.t == 'b' then
    if prev == nil then add('m' .. sfx, 1) end
    add('s' .. sfx, nextc - (prev or 0))
  else
    local was = getStat('m' .. sfx)
    local users, shift, mean, m2 = nextMoments(was, getStat('k' .. sfx), getStat('a' .. sfx), getStat('q' .. sfx), prev, nextc)
    if prev == nil then set('m' .. sfx, users) end
    if was == 0 then set('k' .. sfx, shift) end
    set('a' .. sfx, mean)
    set('q' .. sfx, m2)
  end
  for _, r in ipairs(op.r) do
    local otherRaw = getValue(r.om, user)
    local other = 0
    if otherRaw then other = contribution(r.ot, otherRaw, capOf(r.oc)) end
    local function pair(own)
      if r.role == 'n' then return { own, other } end
      return { other, own }
    end
    local before = nil
    if prev ~= nil or otherRaw then before = pair(prev or 0) end
    local rs = '|' .. arm .. '|' .. r.n
    local was = getStat('rm' .. rs)
    local c = nextCoMoments({ users = was, shiftN = getStat('rkn' .. rs), shiftD = getStat('rkd' .. rs),
      meanN = getStat('ran' .. rs), meanD = getStat('rad' .. rs), m2N = getStat('rqn' .. rs),
      m2D = getStat('rqd' .. rs), cND = getStat('rx' .. rs) }, before, pair(nextc))
    if before == nil then set('rm' .. rs, c.users) end
    if was == 0 then set('rkn' .. rs, c.shiftN); set('rkd' .. rs, c.shiftD) end
    set('ran' .. rs, c.meanN)
    set('rad' .. rs, c.meanD)
    set('rqn' .. rs, c.m2N)
    set('rqd' .. rs, c.m2D)
    set('rx' .. rs, c.cND)
  end
  log({ 'type', 'outcome', 'user', user, 'arm', arm, 'metric', metric, 'value', op.v, 'ts', op.ts })
end

-- An outcome of a user: applied when exposed in this phase, else held for the grace period.
local function outcome(user, op)
  local arm = getArm(user)
  if arm then
    apply(user, arm, op)
    return 'a'
  end
  local list = getHeld(user) or {}
  if #list >= maxHeld then
    add('u|' .. op.m, 1)
    return 'u'
  end
  op.due = nowMs + graceMs
  list[#list + 1] = op
  setHeld(user, list)
  return 'h'
end

local function exposure(user, arm, ts, forced)
  if user == nil or user == '' or arm == nil or arm == '' then bad('malformed exposure') end
  local tsNum = num(ts, 'timestamp')
  local first = getArm(user)
  if not first then
    if forced == '1' then return 0 end
    armOf[user] = arm
    newArms[#newArms + 1] = { user, arm }
    add('x|' .. arm, 1)
    log({ 'type', 'exposure', 'user', user, 'arm', arm, 'ts', ts })
    local list = getHeld(user)
    if list then
      -- Held outcomes may be of metrics no operation of this call names: their values must be declared.
      local missing, listed = {}, {}
      for _, op in ipairs(list) do
        local needed = { pbase .. 'v:' .. op.m }
        for _, r in ipairs(op.r or {}) do needed[#needed + 1] = pbase .. 'v:' .. r.om end
        for _, k in ipairs(needed) do
          if not declared[k] and not listed[k] then listed[k] = true; missing[#missing + 1] = k end
        end
      end
      if #missing > 0 then error({err = 'ABGATE_KEYS ' .. table.concat(missing, ' ')}) end
      -- Held outcomes still in their grace period count now; expired ones (not swept yet) are unattributed.
      for _, op in ipairs(list) do
        if op.due > nowMs then apply(user, arm, op) else add('u|' .. op.m, 1) end
      end
      setHeld(user, false)
    end
    return 1
  end
  if first ~= arm then
    local known = multi[user]
    if known == nil then known = redis.call('SISMEMBER', multiKey, user) == 1 end
    multi[user] = true
    if not known then
      newMulti[#newMulti + 1] = user
      set('multi', getStat('multi') + 1)
      log({ 'type', 'multiple-arms', 'user', user, 'arm', arm, 'ts', ts })
      return 2
    end
  end
  return 0
end

local function checkType(mtype)
  if mtype ~= 'b' and mtype ~= 'c' and mtype ~= 'm' then bad('unknown metric type ' .. tostring(mtype)) end
end

-- Phase 1: read, validate, compute.
local results = { epoch }
local i = 10
while i <= #ARGV do
  local kind = ARGV[i]
  local g, s = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  if kind == 'x' then
    if fresh(g, s) then
      results[#results + 1] = exposure(ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6])
    else
      results[#results + 1] = 's'
    end
    i = i + 7
  elseif kind == 'o' then
    local user, metric, mtype = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
    local eventId, nr = ARGV[i + 9], tonumber(ARGV[i + 11])
    if user == nil or user == '' or metric == nil or metric == '' or nr == nil then bad('malformed outcome') end
    checkType(mtype)
    local op = { m = metric, t = mtype, v = ARGV[i + 6], c = ARGV[i + 7], cap = ARGV[i + 8], ts = ARGV[i + 10], r = {} }
    num(op.v, 'outcome value')
    num(op.ts, 'timestamp')
    if mtype == 'b' and op.v ~= '0' and op.v ~= '1' then bad('binomial value must be 0 or 1: ' .. op.v) end
    for k = 0, nr - 1 do
      local b = i + 12 + k * 5
      local role = ARGV[b + 1]
      if role ~= 'n' and role ~= 'd' then bad('malformed ratio role') end
      checkType(ARGV[b + 3])
      op.r[#op.r + 1] = { n = ARGV[b], role = role, om = ARGV[b + 2], ot = ARGV[b + 3], oc = ARGV[b + 4] }
    end
    i = i + 12 + nr * 5
    if not fresh(g, s) then
      results[#results + 1] = 's'
    else
      local letter = nil
      if eventId ~= '' then
        local marker = xbase .. 'seen:' .. eventId
        if getMarker(marker) then
          letter = 'd'
        else
          markers[marker] = true
          markerWrites[#markerWrites + 1] = marker
        end
      end
      results[#results + 1] = letter or outcome(user, op)
    end
  elseif kind == 'g' then
    local user, errors, latency, requests, ts = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7]
    if user == nil or user == '' or (errors ~= '0' and errors ~= '1') then bad('malformed guardrail observation') end
    num(latency, 'latency')
    num(requests, 'request count')
    i = i + 8
    if fresh(g, s) then
      local a = outcome(user, { m = 'abgate_errors', t = 'b', v = errors, c = '1', cap = '', ts = ts, r = {} })
      local b = outcome(user, { m = 'abgate_latency_ms', t = 'm', v = latency, c = requests, cap = '', ts = ts, r = {} })
      if a == 'a' or b == 'a' then results[#results + 1] = 'a'
      elseif a == 'h' or b == 'h' then results[#results + 1] = 'h'
      else results[#results + 1] = 'u' end
    else
      results[#results + 1] = 's'
    end
  else
    bad('unknown operation ' .. tostring(kind))
  end
end
if #logs > 0 then
  local kind = redis.call('TYPE', logKey)['ok']
  if kind ~= 'none' and kind ~= 'stream' then bad('the log key is a ' .. kind) end
end

-- Phase 2: write. Only writes that cannot be refused by the data remain.
if newMeta then redis.call('HSET', metaKey, 'epoch', epoch, 'schema', '2') end
for _, w in ipairs(newArms) do redis.call('HSET', armKey, w[1], w[2]) end
for _, user in ipairs(newMulti) do redis.call('SADD', multiKey, user) end
for metric, dirty in pairs(valueDirty) do
  local vkey = pbase .. 'v:' .. metric
  for _, user in ipairs(dirty.order) do
    local v = values[metric][user]
    if v[2] ~= 0 then
      redis.call('HSET', vkey, user, fmt(v[1]) .. ',' .. fmt(v[2]))
    else
      redis.call('HSET', vkey, user, fmt(v[1]))
    end
  end
end
for _, f in ipairs(statOrder) do redis.call('HSET', statsKey, f, fmt(stats[f])) end
for _, f in ipairs(dailyOrder) do redis.call('HSET', dailyKey, f, fmt(daily[f])) end
for _, marker in ipairs(markerWrites) do redis.call('SET', marker, '1', 'EX', dedupTtl) end
-- Held lists written before any is deleted: a deletion may empty (remove) the key, and on a slot being
-- migrated Redis refuses, mid-script, to touch a key the node no longer has.
local heldDone, heldGone = {}, {}
for _, user in ipairs(heldDirty) do
  if not heldDone[user] then
    heldDone[user] = true
    local list = held[user]
    if list then
      redis.call('HSET', heldKey, user, cjson.encode(list))
      redis.call('ZADD', dueKey, list[1].due, user)
    else
      heldGone[#heldGone + 1] = user
    end
  end
end
if topGen ~= hwGen or topSeq ~= hwSeq then
  redis.call('HSET', hwKey, writer, string.format('%d:%d', topGen, topSeq))
end
for _, entry in ipairs(logs) do redis.call('XADD', logKey, 'MAXLEN', '~', ARGV[4], '*', unpack(entry)) end
for _, user in ipairs(heldGone) do
  redis.call('HDEL', heldKey, user)
  redis.call('ZREM', dueKey, user)
end
return results
