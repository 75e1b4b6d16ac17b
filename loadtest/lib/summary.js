// A self-contained end-of-test text summary built from handleSummary's `data` object
// (no jslib import, so the scripts need no network at run time).
// Two shapes of `data` exist: k6's classic one, `data.metrics[name]` = { type, contains, values,
// thresholds?: { [expression]: { ok } } }, and the one of `--new-machine-readable-summary`
// (k6 2.x), `data.results.metrics` = [{ name, type, contains, values }] without threshold results.
// normalizeSummary() turns the second into the first, so the rest of the code reads one shape.

/** Percentile keys of the new format ("p95") in the classic spelling ("p(95)"). */
function classicKey(key) {
  const m = /^p(\d+(?:\.\d+)?)$/.exec(key);
  return m ? `p(${m[1]})` : key;
}

const THRESHOLD = /^\s*([a-z]+(?:\([\d.]+\))?)\s*(<=|>=|==|===|!=|<|>)\s*(-?[\d.]+(?:e[+-]?\d+)?)\s*$/;

/**
 * Evaluates a threshold expression such as "rate<=0.01" or "p(95)<300" against metric values:
 * true/false, or undefined when the value it needs is not in the data.
 */
export function evaluateThreshold(expression, values) {
  const m = THRESHOLD.exec(expression);
  if (!m || !values || values[m[1]] === undefined) return undefined;
  const v = values[m[1]];
  const limit = Number(m[3]);
  switch (m[2]) {
    case '<':
      return v < limit;
    case '<=':
      return v <= limit;
    case '>':
      return v > limit;
    case '>=':
      return v >= limit;
    case '!=':
      return v !== limit;
    default:
      return v === limit;
  }
}

/**
 * The summary data in the classic shape, whichever k6 produced. `thresholds` are the script's own
 * (options.thresholds): with the new format, whose data has no threshold results, each result is
 * computed here from the values (undefined when a value is missing, e.g. p(99)); k6's exit code
 * remains the authority. The result has `format: 'classic' | 'machine-readable'`.
 */
export function normalizeSummary(data, thresholds) {
  if (data && data.metrics && !Array.isArray(data.metrics)) {
    return Object.assign({}, data, { format: 'classic' });
  }
  // The new format's objects are Go values seen from JavaScript (`type` is an object, a trend's
  // `med` reads as {}): a JSON round trip makes them plain data.
  const plain = data ? JSON.parse(JSON.stringify(data)) : {};
  const results = plain.results || {};
  const duration = Number((plain.config && plain.config.duration) || 0);
  const metrics = {};
  const add = (m) => {
    const values = {};
    for (const key of Object.keys(m.values || {})) values[classicKey(key)] = m.values[key];
    if (m.type === 'rate' && values.total !== undefined) {
      values.passes = values.matches;
      values.fails = values.total - values.matches;
    }
    if (m.type === 'counter' && values.rate === undefined && duration > 0)
      values.rate = values.count / duration;
    metrics[m.name] = { type: m.type, contains: m.contains, values };
  };
  for (const m of results.metrics || []) add(m);
  const checkMetrics = (results.checks && results.checks.metrics) || [];
  for (const m of checkMetrics) add(m);
  // The classic `checks` rate is the new `checks_succeeded`.
  if (metrics.checks === undefined && metrics.checks_succeeded !== undefined) {
    metrics.checks = Object.assign({}, metrics.checks_succeeded);
  }
  for (const name of Object.keys(thresholds || {})) {
    const m = metrics[name];
    if (!m) continue;
    m.thresholds = {};
    for (const t of thresholds[name]) {
      const expression = typeof t === 'string' ? t : t.threshold;
      // As k6 does: a threshold of a metric that got no sample holds (its "rate" of 0 is no value).
      const ok = hasNoSamples(m) ? true : evaluateThreshold(expression, m.values);
      m.thresholds[expression] = { ok };
    }
  }
  const checks = ((results.checks && results.checks.results) || []).map((c) => ({
    name: c.name,
    passes: c.passes,
    fails: c.fails,
  }));
  return { metrics, root_group: { checks, groups: [] }, format: 'machine-readable' };
}

/** A value of a metric in the summary data, or `fallback` when the metric never got a sample. */
export function metricValue(data, name, key, fallback) {
  const m = data && data.metrics ? data.metrics[name] : undefined;
  if (!m || !m.values || m.values[key] === undefined) return fallback;
  return m.values[key];
}

/**
 * A Rate that never got a sample: k6 still reports `rate: 0` and lets every threshold on it pass,
 * so such a line checks nothing (e.g. arm_share when k6 runs its own --vus/--duration scenario).
 */
export function hasNoSamples(metric) {
  if (!metric || metric.type !== 'rate' || !metric.values) return false;
  return metric.values.passes === 0 && metric.values.fails === 0;
}

/** Every threshold of the run: [{ metric, expression, ok }]. */
export function thresholdResults(data) {
  const out = [];
  const metrics = (data && data.metrics) || {};
  for (const name of Object.keys(metrics).sort()) {
    const t = metrics[name].thresholds;
    if (!t) continue;
    for (const expression of Object.keys(t)) out.push({ metric: name, expression, ok: t[expression].ok });
  }
  return out;
}

export function allThresholdsOk(data) {
  return thresholdResults(data).every((t) => t.ok !== false);
}

export function fmtMs(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return '-';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms >= 1) return `${ms.toFixed(2)}ms`;
  return `${(ms * 1000).toFixed(0)}µs`;
}

export function fmtPct(x, digits) {
  if (x === undefined || x === null || !Number.isFinite(x)) return '-';
  return `${(x * 100).toFixed(digits === undefined ? 2 : digits)}%`;
}

export function pad(text, width) {
  const s = String(text);
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

export function padLeft(text, width) {
  const s = String(text);
  return s.length >= width ? s : ' '.repeat(width - s.length) + s;
}

/** The value a threshold expression is compared with, for display. */
function thresholdSubject(data, metric, expression) {
  const m = data.metrics[metric];
  const agg = /^\s*([a-z]+(?:\([\d.]+\))?)/.exec(expression);
  if (!m || !agg) return '';
  const key = agg[1];
  const v = m.values ? m.values[key] : undefined;
  if (v === undefined) return '';
  if (key === 'rate' && m.type === 'rate') return `${key}=${fmtPct(v)}`;
  if (m.type === 'trend' && (m.contains === 'time' || /_duration\b/.test(metric)))
    return `${key}=${fmtMs(v)}`;
  return `${key}=${Number.isInteger(v) ? v : Number(v).toFixed(4)}`;
}

/**
 * Lines listing every threshold with ✓ / ✗ and its current value; `-` and "no samples, not
 * checked" for a Rate without samples (k6 passes it, but it proved nothing), followed by
 * `unchecked[metric]` (matched on the metric's name without its tags) when the script knows why.
 */
export function thresholdSection(data, indent, unchecked) {
  const lines = [];
  for (const t of thresholdResults(data)) {
    const head = `${pad(t.metric, 38)} ${pad(`'${t.expression}'`, 22)}`;
    if (hasNoSamples(data.metrics[t.metric])) {
      const why = (unchecked || {})[t.metric.replace(/\{.*$/, '')];
      lines.push(`${indent}- ${head} no samples, not checked${why ? `: ${why}` : ''}`);
      continue;
    }
    const subject = thresholdSubject(data, t.metric, t.expression);
    const mark = t.ok === undefined ? '?' : t.ok ? '✓' : '✗';
    lines.push(`${indent}${mark} ${head} ${subject}`);
  }
  return lines;
}

/** Lines listing the checks of the root group (and nested groups) with pass counts. */
export function checkSection(data, indent) {
  const lines = [];
  const walk = (group) => {
    if (!group) return;
    for (const c of group.checks || []) {
      const total = c.passes + c.fails;
      lines.push(`${indent}${c.fails === 0 ? '✓' : '✗'} ${pad(c.name, 48)} ${c.passes}/${total} passed`);
    }
    for (const g of group.groups || []) walk(g);
  };
  walk(data.root_group);
  return lines;
}

/**
 * Request, latency and execution figures. `submetric` (e.g. "endpoint:outcomes") restricts
 * failures and latency to a tagged sub-metric (k6 only reports sub-metrics that have
 * thresholds); `requestsMetric` names the counter of those requests (default http_reqs).
 */
export function httpSection(data, indent, submetric, requestsMetric) {
  const suffix = submetric ? `{${submetric}}` : '';
  const dur = `http_req_duration${suffix}`;
  const lines = [];
  const reqs = metricValue(data, requestsMetric || 'http_reqs', 'count', 0);
  const rps = metricValue(data, requestsMetric || 'http_reqs', 'rate', 0);
  lines.push(`${indent}requests      ${reqs} (${Number(rps).toFixed(1)}/s)`);
  lines.push(`${indent}failed        ${fmtPct(metricValue(data, `http_req_failed${suffix}`, 'rate', 0))}`);
  lines.push(
    `${indent}latency       avg=${fmtMs(metricValue(data, dur, 'avg'))} med=${fmtMs(metricValue(data, dur, 'med'))} ` +
      `p(95)=${fmtMs(metricValue(data, dur, 'p(95)'))} p(99)=${fmtMs(metricValue(data, dur, 'p(99)'))} ` +
      `max=${fmtMs(metricValue(data, dur, 'max'))}`,
  );
  lines.push(
    `${indent}iterations    ${metricValue(data, 'iterations', 'count', 0)} done, ` +
      `${metricValue(data, 'dropped_iterations', 'count', 0)} dropped (no free VU), max VUs ${metricValue(data, 'vus_max', 'max', '-')}`,
  );
  return lines;
}

/** A counter's total in the (normalized) end-of-test data (0 when the metric never fired). */
export function countOf(data, metric) {
  const m = data && data.metrics ? data.metrics[metric] : undefined;
  return m && m.values && typeof m.values.count === 'number' ? m.values.count : 0;
}

/**
 * Ends a summary the same way in both scripts: CHECKS and THRESHOLDS sections, then the
 * handleSummary result (stdout, plus the raw JSON under `jsonPath` when one is set).
 * `unchecked` says why a metric may have no samples (see thresholdSection).
 */
export function finishSummary(lines, data, indent, jsonPath, json, unchecked) {
  if (data.format === 'machine-readable') {
    lines.push(
      `${indent}(--new-machine-readable-summary: k6 sends no threshold results to the script, so ✓/✗ below are`,
    );
    lines.push(
      `${indent} computed here from the values, ? where a value is missing; the exit code is k6's.)`,
    );
    lines.push('');
  }
  lines.push('  █ CHECKS');
  lines.push(...checkSection(data, indent));
  lines.push('');
  lines.push('  █ THRESHOLDS');
  lines.push(...thresholdSection(data, indent, unchecked));
  lines.push('');
  const out = { stdout: lines.join('\n') + '\n' };
  if (jsonPath !== '') out[jsonPath] = JSON.stringify(json, null, 2);
  return out;
}
