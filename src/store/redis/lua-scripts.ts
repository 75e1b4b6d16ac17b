// The Lua scripts that apply events atomically; each call touches the keys of one experiment (one slot).
// They implement the rule of ../user-value.ts and are idempotent: replaying a delivery changes nothing.
import { createHash } from 'node:crypto';
import { BAD_EVENT_CODE } from './reply-errors.js';

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  /** SHA1 of the source, for EVALSHA. */
  readonly sha: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Applies the operations of one batch on one experiment, in order.
 * KEYS: arm-of hash, multi-arm set, stats hash, log stream, then the markers and user-value hashes the
 *   operations name by index.
 * ARGV: dedup TTL s, replay TTL s, stream max length (0: no log), then operations, each one of:
 *   'x', user, arm, timestamp ms — an exposure: returns 1 (first exposure), 2 (newly seen in another arm), 0;
 *   'o', delivery marker key index, event-id marker key index (0: no event id), values key index, user,
 *     metric, value, metric type, delivery id, timestamp ms, event id — an outcome: returns 'a' (accepted),
 *     'd' (duplicate) or 'u' (unattributed).
 *
 * Two markers, two lifetimes:
 * - the delivery marker (`seen:~<delivery id>`, replay TTL) stores the first answer of one enqueued record,
 *   so a replay (after a lost reply, a restart, a journal claim) gets the same answer and changes nothing;
 * - the event-id marker (`seen:<event id>`, dedup TTL) is the user-facing dedup window: another delivery of
 *   the same event id is a duplicate while it lives. Its value is `<letter><delivery id>` too, so a replay
 *   of a delivery whose own marker is missing (written before delivery markers existed) is still answered
 *   as it was the first time.
 *
 * Validate first, write second: every read, parse and computation of the whole call runs first, against
 * in-script copies of what the earlier operations of the call would write, and every refusal is raised
 * there (error code ABGATE_BADEVENT, or WRONGTYPE from a read); only then are the writes issued (HSET, SADD,
 * SET, XADD on keys whose types were checked). A call that fails therefore writes nothing, which the store
 * relies on to keep per-experiment order (see writeBatch).
 *
 * Sums are computed in Lua doubles and stored with '%.17g' (which round-trips a double exactly), so they
 * equal the in-memory store's double arithmetic bit for bit; HINCRBYFLOAT would round each step to
 * '%.17Lf' fixed point and lose everything below 1e-17.
 */
export const applyScript = script(
  'apply',
  `
local dedupTtl = ARGV[1]
local replayTtl = ARGV[2]
local maxLen = tonumber(ARGV[3])
local logging = maxLen ~= nil and maxLen > 0
local function fmt(x) return string.format('%.17g', x) end
local function bad(msg) error({err = '${BAD_EVENT_CODE} ' .. msg}) end
local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end
local function num(raw, what)
  local v = tonumber(raw)
  if v == nil or not finite(v) then bad(what .. ' is not a finite number: ' .. tostring(raw)) end
  return v
end

-- Phase 1 state: what the server holds, overlaid with what this call will write.
local armOf, newArms = {}, {}
local multi, newMulti = {}, {}
local stats, statOrder = {}, {}
local values, valueWrites = {}, {}
local markers, markerWrites = {}, {}
local logs = {}

local function getArm(user)
  local a = armOf[user]
  if a == nil then
    a = redis.call('HGET', KEYS[1], user) or false
    armOf[user] = a
  end
  return a
end
local function addStat(field, d)
  local v = stats[field]
  if v == nil then
    v = num(redis.call('HGET', KEYS[3], field) or 0, 'stats field ' .. field)
    statOrder[#statOrder + 1] = field
  end
  v = v + d
  if not finite(v) then bad('stats field ' .. field .. ' would overflow') end
  stats[field] = v
end
local function getMarker(key)
  local m = markers[key]
  if m == nil then
    m = redis.call('GET', key) or false
    markers[key] = m
  end
  return m
end
local function setMarker(key, value, ttl)
  markers[key] = value
  markerWrites[#markerWrites + 1] = {key, value, ttl}
end
local function log(entry)
  if logging then logs[#logs + 1] = entry end
end

local function exposure(user, arm, ts)
  if user == nil or arm == nil or arm == '' then bad('malformed exposure') end
  local first = getArm(user)
  if not first then
    armOf[user] = arm
    newArms[#newArms + 1] = {user, arm}
    addStat('exposures:' .. arm, 1)
    log({'type', 'exposure', 'user', user, 'arm', arm, 'ts', ts})
    return 1
  end
  if first ~= arm then
    local known = multi[user]
    if known == nil then known = redis.call('SISMEMBER', KEYS[2], user) == 1 end
    if not known then
      multi[user] = true
      newMulti[#newMulti + 1] = user
      addStat('multiple-arm-users', 1)
      log({'type', 'multiple-arms', 'user', user, 'arm', arm, 'ts', ts})
      return 2
    end
    multi[user] = true
  end
  return 0
end

local function outcome(dkey, ekey, vkey, user, metric, raw, mtype, delivery, ts, eventId)
  if dkey == nil or vkey == nil or user == nil or delivery == nil or delivery == '' then
    bad('malformed outcome')
  end
  if mtype ~= 'binomial' and mtype ~= 'continuous' then bad('unknown metric type ' .. tostring(mtype)) end
  local value = num(raw, 'outcome value')
  local seen = getMarker(dkey)
  if seen then return string.sub(seen, 1, 1) end
  if ekey then
    local first = getMarker(ekey)
    if first then
      if string.sub(first, 2) == delivery then return string.sub(first, 1, 1) end
      setMarker(dkey, 'd', replayTtl)
      return 'd'
    end
  end
  local letter = 'u'
  local arm = getArm(user)
  if arm then
    letter = 'a'
    local userValues = values[vkey]
    if userValues == nil then
      userValues = {}
      values[vkey] = userValues
    end
    local prev = userValues[user]
    if prev == nil then
      local stored = redis.call('HGET', vkey, user)
      if stored then prev = num(stored, 'stored user value') else prev = false end
    end
    local isNew = prev == false
    local p = prev or 0
    local nextv, dsum, dsq, dconv
    if mtype == 'binomial' then
      if p == 1 or value == 1 then nextv = 1 else nextv = 0 end
      dsum = nextv - p
      dsq = dsum
      dconv = dsum
    else
      nextv = p + value
      dsum = value
      dsq = nextv * nextv - p * p
      dconv = 0
      if not finite(nextv) or not finite(dsq) then bad('user value would overflow') end
    end
    if userValues[user] == nil then valueWrites[#valueWrites + 1] = {vkey, user} end
    userValues[user] = nextv
    local suffix = ':' .. arm .. ':' .. metric
    if isNew then addStat('users' .. suffix, 1) end
    -- Same order of additions as the in-memory store: sum += value, sumsq += next^2 - prev^2.
    if dsum ~= 0 then addStat('sum' .. suffix, dsum) end
    if dsq ~= 0 then addStat('sumsq' .. suffix, dsq) end
    if dconv ~= 0 then addStat('converted' .. suffix, dconv) end
    log({'type', 'outcome', 'user', user, 'arm', arm, 'metric', metric, 'value', raw, 'id', eventId, 'ts', ts})
  end
  if ekey then setMarker(ekey, letter .. delivery, dedupTtl) end
  setMarker(dkey, letter, replayTtl)
  return letter
end

-- Phase 1: read, validate, compute.
local results = {}
local i = 4
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'x' then
    results[#results + 1] = exposure(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'o' then
    local e = tonumber(ARGV[i + 2])
    local ekey = nil
    if e and e > 0 then ekey = KEYS[e] end
    results[#results + 1] = outcome(KEYS[tonumber(ARGV[i + 1]) or 0], ekey, KEYS[tonumber(ARGV[i + 3]) or 0],
      ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], ARGV[i + 8], ARGV[i + 9], ARGV[i + 10])
    i = i + 11
  else
    bad('unknown operation ' .. tostring(op))
  end
end
if #logs > 0 then
  local t = redis.call('TYPE', KEYS[4])['ok']
  if t ~= 'none' and t ~= 'stream' then bad('the log key is a ' .. t) end
end

-- Phase 2: write. Only writes that cannot be refused by the data remain.
for _, w in ipairs(newArms) do redis.call('HSET', KEYS[1], w[1], w[2]) end
for _, user in ipairs(newMulti) do redis.call('SADD', KEYS[2], user) end
for _, w in ipairs(valueWrites) do redis.call('HSET', w[1], w[2], fmt(values[w[1]][w[2]])) end
for _, field in ipairs(statOrder) do redis.call('HSET', KEYS[3], field, fmt(stats[field])) end
for _, w in ipairs(markerWrites) do redis.call('SET', w[1], w[2], 'EX', w[3]) end
for _, entry in ipairs(logs) do redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', unpack(entry)) end
return results
`,
);

/**
 * Counts one unattributed outcome, once per delivery.
 * KEYS: unattributed counts hash, marker of the delivery. ARGV: metric, marker TTL s (the replay window).
 */
export const unattributedScript = script(
  'unattributed',
  `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
end
return 0
`,
);

export const allScripts: readonly LuaScript[] = [applyScript, unattributedScript];
