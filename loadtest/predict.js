// k6 load test: prediction traffic through the gateway, with a sample-ratio-mismatch (SRM) check.
//
//   k6 run loadtest/predict.js                                   # steady 200 req/s for 1m
//   k6 run -e SCENARIO=spike -e RATE=500 loadtest/predict.js     # 500 → 2500 → 500 req/s
//   k6 run -e EXPERIMENT=churn-model loadtest/predict.js         # route, weights from the preset
//
// Settings (all optional, `-e NAME=value`): see loadtest/README.md.
//
// ── How a wrong split fails the run ────────────────────────────────────────────────────────
// k6 decides the exit code from thresholds only: a crossed threshold exits with code 99
// (ThresholdsHaveFailed). handleSummary() runs after that decision and cannot change the
// exit code, and teardown() cannot see metric totals (VU state is not shared with it).
// So the SRM check is expressed as thresholds, evaluated by k6 at the end of the test:
//
//   * every response adds one sample per expected arm to the Rate metric `arm_share`,
//     tagged {arm: <name>}, true when the response was served by that arm; the sub-metric
//     `arm_share{arm:<name>}` therefore has rate = observed share of that arm;
//   * each sub-metric gets the thresholds ['rate>=lower', 'rate<=upper'], the acceptance
//     band of a test at level SRM_ALPHA (default 0.001) computed here, in the init context,
//     from the expected shares and the number of requests the scenario will send
//     (lib/stats.js#srmBands). With two arms this band IS the chi-square goodness-of-fit
//     test with df = 1 (X² = z²); with more arms it is a Bonferroni box per arm;
//   * handleSummary() then computes the exact chi-square statistic and p-value from the
//     per-arm Counters (`arm_<name>`) and prints them next to the threshold verdict.
//
// Both account for the finite user pool: requests re-use USERS users, each of whom the
// gateway hashed to one arm once, so the observed split also carries the pool's own hashing
// noise; the variance is p(1−p)(1/n + 1/USERS) instead of p(1−p)/n (lib/stats.js#designEffect).
// Without that correction a long run (n ≫ USERS) would flag the pool, not the gateway.
//
// Doc references: k6 "Thresholds" (exit status, sub-metric thresholds, abortOnFail),
// k6 "Custom summary" (handleSummary data.metrics[...].values / thresholds[...].ok),
// k6 "Test lifecycle" (teardown cannot receive data changed by VUs).

import http from 'k6/http';
import { check } from 'k6';
import { Counter, Rate } from 'k6/metrics';
import {
  bool,
  durationSeconds,
  expectedShares,
  header,
  int,
  joinUrl,
  metricName,
  num,
  parseWeights,
  secondsToDuration,
  str,
} from './lib/env.js';
import { PRESETS, predictionBody } from './lib/presets.js';
import { srmBands, srmTest } from './lib/stats.js';
import { countOf, finishSummary, fmtPct, httpSection, pad, padLeft } from './lib/summary.js';
import { scenarioOptions } from './lib/options.js';

// ── settings ────────────────────────────────────────────────────────────────────────────────
const EXPERIMENT = str(__ENV, 'EXPERIMENT', 'ranker-v2');
const PRESET = PRESETS[EXPERIMENT] || {};
const BASE_URL = str(__ENV, 'BASE_URL', 'http://localhost:8080');
const ROUTE = str(__ENV, 'ROUTE', PRESET.route || '/models/ranker/predict');
const WEIGHTS = str(__ENV, 'WEIGHTS', PRESET.weights || 'control=1,treatment=1');
const ARMS = parseWeights(WEIGHTS, 'WEIGHTS');
const CONTROL = str(__ENV, 'CONTROL', PRESET.control || ARMS[0].name);
const TRAFFIC = num(__ENV, 'TRAFFIC', PRESET.traffic === undefined ? 100 : PRESET.traffic, 0, 100);
const SCENARIO = str(__ENV, 'SCENARIO', 'steady');
const RATE = int(__ENV, 'RATE', 200, 1);
const DURATION = str(__ENV, 'DURATION', '1m');
const SPIKE_FACTOR = num(__ENV, 'SPIKE_FACTOR', 5, 1);
const USERS = int(__ENV, 'USERS', 100000, 1);
const UNIT_HEADER = str(__ENV, 'UNIT_HEADER', 'x-user-id');
const TIMEOUT = str(__ENV, 'TIMEOUT', '10s');
const P95_MS = num(__ENV, 'P95_MS', 300, 0);
const P99_MS = num(__ENV, 'P99_MS', 800, 0);
const MAX_FAILED = num(__ENV, 'MAX_FAILED', 0.01, 0, 1);
const MAX_DROPPED = num(__ENV, 'MAX_DROPPED', 0.01, 0, 1);
const MAX_FALLBACK = num(__ENV, 'MAX_FALLBACK', 0.01, 0, 1);
const SRM_ALPHA = num(__ENV, 'SRM_ALPHA', 0.001, 1e-12, 0.5);
const SRM = bool(__ENV, 'SRM', true);
const BODY = str(__ENV, 'BODY', '');
const SUMMARY_JSON = str(__ENV, 'SUMMARY_JSON', '');

if (!ARMS.some((a) => a.name === CONTROL)) {
  throw new Error(`CONTROL: "${CONTROL}" is not one of the arms in WEIGHTS (${WEIGHTS})`);
}
if (BODY !== '') JSON.parse(BODY); // fail early on a malformed body
const TARGET_URL = joinUrl(BASE_URL, ROUTE);
const SHARES = expectedShares(ARMS, TRAFFIC, CONTROL);
const ARM_NAMES = ARMS.map((a) => a.name);

// ── load shape ──────────────────────────────────────────────────────────────────────────────
/** The selected scenario, its peak rate and the number of iterations it will start. */
function buildScenario() {
  if (SCENARIO === 'smoke') {
    return {
      peak: 5,
      planned: 5 * 30,
      config: { executor: 'constant-arrival-rate', rate: 5, timeUnit: '1s', duration: '30s' },
    };
  }
  const seconds = durationSeconds(DURATION, 'DURATION');
  if (SCENARIO === 'steady') {
    return {
      peak: RATE,
      planned: RATE * seconds,
      config: {
        executor: 'constant-arrival-rate',
        rate: RATE,
        timeUnit: '1s',
        duration: secondsToDuration(seconds),
      },
    };
  }
  if (SCENARIO === 'spike') {
    // DURATION split as: 25% at RATE, 10% ramp up, 30% at SPIKE_FACTOR×RATE, 10% ramp down, 25% at RATE.
    const peak = Math.round(RATE * SPIKE_FACTOR);
    const parts = [
      [0.25, RATE],
      [0.1, peak],
      [0.3, peak],
      [0.1, RATE],
      [0.25, RATE],
    ];
    const stages = parts.map(([share, target]) => ({ duration: secondsToDuration(seconds * share), target }));
    // Iterations started: the area under the piecewise-linear rate curve.
    let planned = 0;
    let previous = RATE;
    for (const s of stages) {
      planned += ((previous + s.target) / 2) * durationSeconds(s.duration);
      previous = s.target;
    }
    return {
      peak,
      planned,
      config: { executor: 'ramping-arrival-rate', startRate: RATE, timeUnit: '1s', stages },
    };
  }
  throw new Error(`SCENARIO: "${SCENARIO}" is not one of smoke, steady, spike`);
}

const SHAPE = buildScenario();
// VUs needed ≈ rate × response time: pre-allocate for ~50 ms, allow up to ~500 ms at the peak.
const PRE_VUS = int(__ENV, 'PRE_VUS', Math.max(5, Math.ceil(SHAPE.peak * 0.05)), 1);
const MAX_VUS = int(__ENV, 'MAX_VUS', Math.max(PRE_VUS, 20, Math.ceil(SHAPE.peak * 0.5)), 1);
const MAX_DROPPED_COUNT = Math.floor(SHAPE.planned * MAX_DROPPED);
// The fewest responses a run can have without failing the dropped/failed thresholds; the
// SRM band is computed for this n, so runs that pass those thresholds get a band at most
// this wide (a larger real n makes the test slightly conservative, never anti-conservative).
const SRM_MIN_N = Math.max(1, Math.floor(SHAPE.planned * (1 - MAX_DROPPED - MAX_FAILED)));
const BANDS = srmBands(SHARES, SRM_MIN_N, USERS, SRM_ALPHA);

// ── metrics ─────────────────────────────────────────────────────────────────────────────────
const armCounters = {};
for (const a of ARMS) {
  const name = metricName('arm_', a.name);
  if (Object.keys(armCounters).some((k) => armCounters[k].metric === name)) {
    throw new Error(`WEIGHTS: arms "${a.name}" and another map to the same metric name ${name}`);
  }
  armCounters[a.name] = { metric: name, counter: new Counter(name) };
}
/** Observed share of each arm: sub-metric arm_share{arm:<name>} (see the header comment). */
const armShare = new Rate('arm_share');
/** Responses naming an arm that is not in WEIGHTS (wrong WEIGHTS, or a gateway bug). */
const armUnexpected = new Counter('arm_unexpected');
/**
 * Responses without an x-abgate-arm header: network failures, and gateway errors raised before
 * an arm was chosen (400 missing_unit and the like). 502/504 answers name the failed arm.
 */
const armMissing = new Counter('arm_missing');
/** Responses served by control after the assigned arm failed (x-abgate-fallback: 1). */
const armFallback = new Counter('arm_fallback');

function fixed(x) {
  return Number(x.toFixed(6));
}

const thresholds = {
  // Less than MAX_FAILED (1%) of requests may fail (network error or status ≥ 400).
  // The second entry stops a hopeless run early: more than half failing after 15 s.
  http_req_failed: [
    `rate<${MAX_FAILED}`,
    { threshold: 'rate<0.5', abortOnFail: true, delayAbortEval: '15s' },
  ],
  http_req_duration: [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`],
  // Status 200 and a known arm on at least 99% of responses.
  checks: ['rate>0.99'],
  // The load generator kept up: at most MAX_DROPPED of the planned iterations had no free VU.
  dropped_iterations: [`count<=${MAX_DROPPED_COUNT}`],
  // No response may name an arm outside WEIGHTS.
  arm_unexpected: ['count<1'],
  // Fallbacks keep users served, but more than MAX_FALLBACK of them means an arm is failing.
  arm_fallback: [`count<=${Math.floor(SHAPE.planned * MAX_FALLBACK)}`],
};
if (SRM) {
  ARMS.forEach((a, i) => {
    const band = BANDS[i];
    const rules = [];
    if (band.lower > 0) rules.push(`rate>=${fixed(band.lower)}`);
    if (band.upper < 1) rules.push(`rate<=${fixed(band.upper)}`);
    if (rules.length > 0) thresholds[`arm_share{arm:${a.name}}`] = rules;
  });
}

export const options = scenarioOptions(
  SCENARIO,
  'predict',
  SHAPE.config,
  { preAllocatedVUs: PRE_VUS, maxVUs: MAX_VUS },
  thresholds,
);

// ── test ────────────────────────────────────────────────────────────────────────────────────
export function setup() {
  const health = http.get(joinUrl(BASE_URL, '/healthz'), { tags: { endpoint: 'healthz' }, timeout: TIMEOUT });
  if (health.status !== 200) {
    throw new Error(
      `gateway not healthy: GET ${joinUrl(BASE_URL, '/healthz')} → ${health.status} ${health.error || ''}`,
    );
  }
  // One probe request, so a wrong ROUTE fails here instead of as 100% errors.
  const probe = http.post(TARGET_URL, requestBody(), requestParams('probe-user', 'probe'));
  if (header(probe, 'x-abgate-arm') === undefined) {
    throw new Error(
      `POST ${TARGET_URL} → ${probe.status} without an x-abgate-arm header: is ROUTE an experiment's route.path? ` +
        `(x-request-id ${header(probe, 'x-request-id') || '-'})`,
    );
  }
  return { startedAt: new Date().toISOString() };
}

function requestBody() {
  return BODY !== '' ? BODY : JSON.stringify(predictionBody(EXPERIMENT));
}

function requestParams(user, endpoint) {
  return {
    headers: { 'Content-Type': 'application/json', [UNIT_HEADER]: user },
    tags: { endpoint },
    timeout: TIMEOUT,
  };
}

/**
 * The arm the user was assigned to. x-abgate-arm names the arm that served the response, so
 * after a fallback (x-abgate-fallback: 1) it is control; the gateway then names the assigned
 * arm in x-abgate-assigned-arm. Without that header (older gateways) and with two arms, the
 * assigned arm is the other one; otherwise the response is left out of the SRM counts.
 */
function assignedArm(servedBy, fallback, assignedHeader) {
  if (!fallback) return servedBy;
  if (assignedHeader !== undefined) return assignedHeader;
  const others = ARM_NAMES.filter((n) => n !== servedBy);
  return others.length === 1 ? others[0] : undefined;
}

let loggedFailures = 0;

/** The scenario function (named, as the repository's lint forbids default exports). */
export function predict() {
  const user = `user-${Math.floor(Math.random() * USERS)}`;
  const res = http.post(TARGET_URL, requestBody(), requestParams(user, 'predict'));
  const arm = header(res, 'x-abgate-arm');
  const experiment = header(res, 'x-abgate-experiment');

  check(res, {
    'status is 200': (r) => r.status === 200,
    'x-abgate-arm is an expected arm': () => arm !== undefined && ARM_NAMES.indexOf(arm) !== -1,
    'x-abgate-experiment matches': () => !PRESETS[EXPERIMENT] || experiment === EXPERIMENT,
  });

  const fallback = header(res, 'x-abgate-fallback') === '1';
  if (fallback) armFallback.add(1);
  const assigned = assignedArm(arm, fallback, header(res, 'x-abgate-assigned-arm'));
  if (arm === undefined) {
    armMissing.add(1);
  } else if (ARM_NAMES.indexOf(arm) === -1) {
    armUnexpected.add(1, { arm });
  } else if (assigned !== undefined) {
    for (const a of ARMS) armShare.add(assigned === a.name, { arm: a.name });
    armCounters[assigned].counter.add(1);
  }

  if (res.status !== 200 && loggedFailures < 3) {
    loggedFailures++;
    console.warn(
      `POST ${ROUTE} as ${user} → ${res.status || res.error} ` +
        `(arm ${arm || '-'}, x-request-id ${header(res, 'x-request-id') || '-'})`,
    );
  }
}

// ── end-of-test summary ─────────────────────────────────────────────────────────────────────

/** The SRM result: observed counts, the chi-square test and the threshold verdict per arm. */
export function srmReport(data) {
  const observed = ARMS.map((a) => countOf(data, armCounters[a.name].metric));
  const test = srmTest(observed, SHARES, USERS);
  const arms = ARMS.map((a, i) => {
    const sub = data.metrics[`arm_share{arm:${a.name}}`];
    const verdicts =
      sub && sub.thresholds ? Object.keys(sub.thresholds).map((k) => sub.thresholds[k].ok) : [];
    return {
      arm: a.name,
      weight: a.weight,
      expected_share: SHARES[i],
      observed: observed[i],
      observed_share: test.n > 0 ? observed[i] / test.n : null,
      band: [Math.max(0, BANDS[i].lower), Math.min(1, BANDS[i].upper)],
      threshold_ok: verdicts.every(Boolean),
    };
  });
  return {
    enabled: SRM,
    alpha: SRM_ALPHA,
    users: USERS,
    planned_requests: Math.round(SHAPE.planned),
    band_n: SRM_MIN_N,
    n: test.n,
    df: test.df,
    chi_square: test.chiSquare,
    design_effect: test.designEffect,
    chi_square_adjusted: test.chiSquareAdjusted,
    p_value: test.pValue,
    chi_square_rejects: test.pValue < SRM_ALPHA,
    thresholds_ok: arms.every((a) => a.threshold_ok),
    arms,
  };
}

function srmLines(srm, indent) {
  const lines = [];
  lines.push(
    `${indent}${pad('arm', 14)}${padLeft('weight', 7)}${padLeft('expected', 10)}${padLeft('observed', 10)}${padLeft('count', 10)}   threshold band`,
  );
  for (const a of srm.arms) {
    lines.push(
      `${indent}${pad(a.arm, 14)}${padLeft(a.weight, 7)}${padLeft(fmtPct(a.expected_share), 10)}${padLeft(fmtPct(a.observed_share), 10)}` +
        `${padLeft(a.observed, 10)}   ${a.threshold_ok ? '✓' : '✗'} [${fmtPct(a.band[0])}, ${fmtPct(a.band[1])}]`,
    );
  }
  if (srm.n === 0) {
    lines.push(`${indent}no response carried x-abgate-arm: nothing to test`);
    return lines;
  }
  lines.push(
    `${indent}chi-square ${srm.chi_square.toFixed(3)} (df ${srm.df}); pool-corrected ${srm.chi_square_adjusted.toFixed(3)} ` +
      `(÷ ${srm.design_effect.toFixed(3)} = 1 + n/USERS); p = ${srm.p_value.toPrecision(3)}; alpha ${srm.alpha}`,
  );
  const verdict = !srm.enabled
    ? 'not enforced (SRM=false)'
    : srm.thresholds_ok
      ? 'PASS: every arm within its band'
      : 'FAIL: the split is off (arm_share thresholds crossed, exit code 99)';
  lines.push(`${indent}verdict: ${verdict}`);
  if (srm.enabled && srm.thresholds_ok && srm.chi_square_rejects) {
    lines.push(
      `${indent}note: p < alpha with the real n (${srm.n}) although every band held: the bands use n = ${srm.band_n}.`,
    );
  }
  return lines;
}

export function handleSummary(data) {
  const srm = srmReport(data);
  const I = '    ';
  const lines = [''];
  lines.push(`  abgate prediction load test: ${SCENARIO}, POST ${TARGET_URL}`);
  lines.push(`  experiment ${EXPERIMENT}, weights ${WEIGHTS}, traffic ${TRAFFIC}%, ${USERS} users`);
  lines.push('');
  lines.push('  █ SAMPLE RATIO (SRM)');
  lines.push(...srmLines(srm, I));
  lines.push(
    `${I}fallbacks to control ${countOf(data, 'arm_fallback')}, responses without arm ${countOf(data, 'arm_missing')}, ` +
      `unexpected arms ${countOf(data, 'arm_unexpected')}`,
  );
  lines.push('');
  lines.push('  █ HTTP');
  lines.push(...httpSection(data, I));
  lines.push('');
  return finishSummary(lines, data, I, SUMMARY_JSON, { srm, k6: data });
}
