// Settings of the load tests: read from `k6 run -e NAME=value` (__ENV) with defaults,
// validated once in the init context so a typo fails before any request is sent.

/** The raw value of a setting, or undefined when unset or empty. */
export function raw(env, name) {
  const v = env[name];
  return v === undefined || v === null || String(v).trim() === '' ? undefined : String(v).trim();
}

export function str(env, name, fallback) {
  const v = raw(env, name);
  return v === undefined ? fallback : v;
}

export function num(env, name, fallback, min, max) {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name}: "${v}" is not a number`);
  if (min !== undefined && n < min) throw new Error(`${name}: ${n} is below the minimum ${min}`);
  if (max !== undefined && n > max) throw new Error(`${name}: ${n} is above the maximum ${max}`);
  return n;
}

export function int(env, name, fallback, min, max) {
  const n = num(env, name, fallback, min, max);
  if (!Number.isInteger(n)) throw new Error(`${name}: ${n} is not a whole number`);
  return n;
}

export function bool(env, name, fallback) {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new Error(`${name}: "${v}" is not a boolean (use true or false)`);
}

/** Seconds in a k6 duration string such as "90s", "1m30s", "2h", "500ms". */
export function durationSeconds(text, name) {
  const s = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s); // a bare number: seconds
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  let m;
  while ((m = re.exec(s)) !== null) {
    if (m.index !== consumed) break;
    consumed += m[0].length;
    const v = Number(m[1]);
    total += m[2] === 'ms' ? v / 1000 : m[2] === 's' ? v : m[2] === 'm' ? v * 60 : v * 3600;
  }
  if (consumed !== s.length || consumed === 0) {
    throw new Error(`${name || 'duration'}: "${text}" is not a duration like 30s, 5m or 1h30m`);
  }
  return total;
}

/** A whole number of seconds as a k6 duration string. */
export function secondsToDuration(seconds) {
  return `${Math.max(1, Math.round(seconds))}s`;
}

/**
 * Parses WEIGHTS, e.g. "control=1,treatment=1" or "control=2,candidate=1".
 * Returns [{ name, weight }] in the given order.
 */
export function parseWeights(text, name) {
  const label = name || 'WEIGHTS';
  const arms = [];
  for (const part of String(text).split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const m = /^([a-z0-9][a-z0-9_-]{0,62})\s*[=:]\s*(\d+(?:\.\d+)?)$/.exec(item);
    if (!m) throw new Error(`${label}: "${item}" is not arm=weight (arm names are lowercase slugs)`);
    const weight = Number(m[2]);
    if (!(weight > 0)) throw new Error(`${label}: arm "${m[1]}" needs a positive weight`);
    if (arms.some((a) => a.name === m[1])) throw new Error(`${label}: arm "${m[1]}" is listed twice`);
    arms.push({ name: m[1], weight });
  }
  if (arms.length < 2) throw new Error(`${label}: an experiment has at least two arms, got "${text}"`);
  return arms;
}

/**
 * Expected share of responses per arm. `trafficPercent` < 100 sends the units outside the
 * experiment to the control arm (`controlName`), as the gateway does.
 */
export function expectedShares(arms, trafficPercent, controlName) {
  const total = arms.reduce((s, a) => s + a.weight, 0);
  const t = trafficPercent / 100;
  return arms.map((a) => (t * a.weight) / total + (a.name === controlName ? 1 - t : 0));
}

/**
 * k6 metric names must match ^[a-zA-Z_][a-zA-Z0-9_]{1,128}$ (Prometheus/OpenTelemetry style);
 * arm slugs may contain "-", which becomes "_".
 */
export function metricName(prefix, armName) {
  return `${prefix}${armName.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/** Case-insensitive response header value (k6 canonicalises names; some versions give arrays). */
export function header(res, name) {
  const headers = (res && res.headers) || {};
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === wanted) {
      const v = headers[key];
      return Array.isArray(v) ? v[0] : v;
    }
  }
  return undefined;
}

/** Joins a base URL and a path without doubling or dropping the slash. */
export function joinUrl(base, path) {
  return `${String(base).replace(/\/+$/, '')}/${String(path).replace(/^\/+/, '')}`;
}
