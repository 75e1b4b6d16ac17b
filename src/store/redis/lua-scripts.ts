// The Lua scripts that apply events atomically; each call touches the keys of one experiment (one slot).
// They implement the rule of ../user-value.ts and are idempotent: replaying a delivery changes nothing.
import { createHash } from 'node:crypto';

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
 * Applies a run of operations on one experiment, in order.
 * KEYS: arm-of hash, multi-arm set, stats hash, log stream, then the dedup markers and user-value hashes
 *   the operations name by index.
 * ARGV: dedup TTL s, stream max length (0: no log), then operations, each one of:
 *   'x', user, arm, timestamp ms — an exposure: returns 1 (first exposure), 2 (newly seen in another arm), 0;
 *   'o', marker key index, values key index, user, metric, value, metric type, delivery id, timestamp ms,
 *     event id — an outcome: returns 'a' (accepted), 'd' (duplicate) or 'u' (unattributed).
 * An outcome's marker stores its first answer and delivery id: a replay of the same delivery gets the
 * same answer and changes nothing; another delivery of the same event id is a duplicate.
 */
export const applyScript = script(
  'apply',
  `
local ttl = ARGV[1]
local logging = tonumber(ARGV[2]) > 0
local function log(...)
  if logging then redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*', ...) end
end
local function fmt(x) return string.format('%.17g', x) end

local function exposure(user, arm, ts)
  if redis.call('HSETNX', KEYS[1], user, arm) == 1 then
    redis.call('HINCRBY', KEYS[3], 'exposures:' .. arm, 1)
    log('type', 'exposure', 'user', user, 'arm', arm, 'ts', ts)
    return 1
  end
  if redis.call('HGET', KEYS[1], user) ~= arm and redis.call('SADD', KEYS[2], user) == 1 then
    redis.call('HINCRBY', KEYS[3], 'multiple-arm-users', 1)
    log('type', 'multiple-arms', 'user', user, 'arm', arm, 'ts', ts)
    return 2
  end
  return 0
end

local function outcome(marker, values, user, metric, raw, mtype, delivery, ts, eventId)
  local seen = redis.call('GET', marker)
  if seen then
    if string.sub(seen, 2) == delivery then return string.sub(seen, 1, 1) end
    return 'd'
  end
  local arm = redis.call('HGET', KEYS[1], user)
  if not arm then
    redis.call('SET', marker, 'u' .. delivery, 'EX', ttl)
    return 'u'
  end
  local value = tonumber(raw)
  local stored = redis.call('HGET', values, user)
  local prev = 0
  if stored then prev = tonumber(stored) end
  local nextv, dsum, dsq, dconv
  if mtype == 'binomial' then
    if prev == 1 or value == 1 then nextv = 1 else nextv = 0 end
    dsum = nextv - prev
    dsq = dsum
    dconv = dsum
  else
    nextv = prev + value
    dsum = value
    dsq = nextv * nextv - prev * prev
    dconv = 0
  end
  redis.call('HSET', values, user, fmt(nextv))
  local suffix = ':' .. arm .. ':' .. metric
  if not stored then redis.call('HINCRBY', KEYS[3], 'users' .. suffix, 1) end
  if dsum ~= 0 then redis.call('HINCRBYFLOAT', KEYS[3], 'sum' .. suffix, fmt(dsum)) end
  if dsq ~= 0 then redis.call('HINCRBYFLOAT', KEYS[3], 'sumsq' .. suffix, fmt(dsq)) end
  if dconv ~= 0 then redis.call('HINCRBY', KEYS[3], 'converted' .. suffix, dconv) end
  redis.call('SET', marker, 'a' .. delivery, 'EX', ttl)
  log('type', 'outcome', 'user', user, 'arm', arm, 'metric', metric, 'value', raw, 'id', eventId, 'ts', ts)
  return 'a'
end

local results = {}
local i = 3
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'x' then
    results[#results + 1] = exposure(ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'o' then
    results[#results + 1] = outcome(KEYS[tonumber(ARGV[i + 1])], KEYS[tonumber(ARGV[i + 2])], ARGV[i + 3],
      ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], ARGV[i + 8], ARGV[i + 9])
    i = i + 10
  else
    return redis.error_reply('ERR abgate apply: unknown operation ' .. tostring(op))
  end
end
return results
`,
);

/**
 * Counts one unattributed outcome, once per delivery.
 * KEYS: unattributed counts hash, marker of the delivery. ARGV: metric, marker TTL s.
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
