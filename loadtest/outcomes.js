// k6 load test: outcome ingestion (POST /api/v1/outcomes), single events and batches,
// with a share of deliberate re-sends to exercise de-duplication by event_id.
//
//   k6 run loadtest/outcomes.js                                   # 20 iterations/s for 1m
//   k6 run -e RATE=50 -e BATCH=200 -e DUP_SHARE=0.1 loadtest/outcomes.js
//   k6 run -e EXPERIMENT=churn-model loadtest/outcomes.js
//   k6 run -e EXPERIMENT=my-exp loadtest/outcomes.js              # any experiment: route and metrics from the gateway
//   k6 run --vus 5 --duration 5s loadtest/outcomes.js             # k6's own closed loop
//
// Each iteration picks users from a pool of USERS, exposes the ones this VU has not exposed
// yet (EXPOSE=predict calls the experiment's route; EXPOSE=assign calls POST /api/v1/assign;
// EXPOSE=none skips it, so every event should come back unattributed), then posts their
// outcome events: one event (a single JSON object) or BATCH events (a JSON array), chosen per
// iteration with probability BATCH_SHARE. A share DUP_SHARE of the events are re-sends of
// events this VU sent before and the gateway accepted: same event_id, same payload. The
// gateway must answer 202 and count each of them as a duplicate.
//
// The answer is { accepted, duplicates, unattributed, held, queued, rejected: [{index, code, message}] }
// with one status per event (accepted | duplicate | unattributed | held | queued) or a rejection,
// so accepted + duplicates + unattributed + held + queued + rejected.length = events sent.
// `held` (no exposure of the user yet, kept for the attribution grace period) and `queued`
// (stored durably, not applied yet: normal under load with Redis, and while Redis is away) are
// events whose final fate is not known yet; a response with any of them is not used to judge
// de-duplication or attribution, since the counts do not say which events they are.
// Settings (`-e NAME=value`): see loadtest/README.md.

import http from 'k6/http';
import { check } from 'k6';
import { Counter, Rate } from 'k6/metrics';
import { durationSeconds, header, int, joinUrl, num, secondsToDuration, str } from './lib/env.js';
import { genericOutcomes, PRESETS, predictionBody, userOutcomes } from './lib/presets.js';
import { countOf, finishSummary, fmtPct, httpSection, normalizeSummary } from './lib/summary.js';
import { scenarioOptions } from './lib/options.js';

// ── settings ────────────────────────────────────────────────────────────────────────────────
const EXPERIMENT = str(__ENV, 'EXPERIMENT', 'ranker-v2');
/** Defaults for the example experiments; any other experiment is read from the gateway in setup(). */
const PRESET = PRESETS[EXPERIMENT];
const BASE_URL = str(__ENV, 'BASE_URL', 'http://localhost:8080');
const ROUTE_SETTING = str(__ENV, 'ROUTE', PRESET ? PRESET.route : '');
const SCENARIO = str(__ENV, 'SCENARIO', 'steady');
const RATE = int(__ENV, 'RATE', 20, 1);
const DURATION = str(__ENV, 'DURATION', '1m');
const BATCH = int(__ENV, 'BATCH', 20, 1, 100000);
const BATCH_SHARE = num(__ENV, 'BATCH_SHARE', 0.5, 0, 1);
const DUP_SHARE = num(__ENV, 'DUP_SHARE', 0.05, 0, 0.9);
const USERS = int(__ENV, 'USERS', 100000, 1);
const EXPOSE = str(__ENV, 'EXPOSE', 'predict');
const UNIT_HEADER = str(__ENV, 'UNIT_HEADER', 'x-user-id');
const API_TOKEN = str(__ENV, 'API_TOKEN', '');
const TIMEOUT = str(__ENV, 'TIMEOUT', '10s');
const P95_MS = num(__ENV, 'P95_MS', 300, 0);
const P99_MS = num(__ENV, 'P99_MS', 800, 0);
const MAX_FAILED = num(__ENV, 'MAX_FAILED', 0.01, 0, 1);
const MAX_UNATTRIBUTED = num(__ENV, 'MAX_UNATTRIBUTED', 0.01, 0, 1);
const MAX_DROPPED = num(__ENV, 'MAX_DROPPED', 0.01, 0, 1);
const SUMMARY_JSON = str(__ENV, 'SUMMARY_JSON', '');

if (['predict', 'assign', 'none'].indexOf(EXPOSE) === -1) {
  throw new Error(`EXPOSE: "${EXPOSE}" is not one of predict, assign, none`);
}
const OUTCOMES_URL = joinUrl(BASE_URL, '/api/v1/outcomes');

// ── load shape ──────────────────────────────────────────────────────────────────────────────
function buildScenario() {
  if (SCENARIO === 'smoke') {
    return {
      peak: 2,
      planned: 60,
      config: { executor: 'constant-arrival-rate', rate: 2, timeUnit: '1s', duration: '30s' },
    };
  }
  if (SCENARIO === 'steady') {
    const seconds = durationSeconds(DURATION, 'DURATION');
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
  throw new Error(`SCENARIO: "${SCENARIO}" is not one of smoke, steady`);
}
const SHAPE = buildScenario();
// An iteration makes up to 1 + ceil(BATCH / 6) sequential round trips (exposures go 6 at a time),
// so VUs busy ≈ RATE × that × latency. VUs started during the run come slowly (see predict.js):
// pre-allocate for ~half a second per iteration at RATE, allow up to ~2 s.
const ROUND_TRIPS = 1 + Math.ceil(BATCH / 6);
const PRE_VUS = int(__ENV, 'PRE_VUS', Math.max(10, Math.ceil(SHAPE.peak * 0.5)), 1);
const MAX_VUS = int(
  __ENV,
  'MAX_VUS',
  Math.max(PRE_VUS, 50, Math.ceil(SHAPE.peak * 2), SHAPE.peak * ROUND_TRIPS),
  1,
);

// ── metrics ─────────────────────────────────────────────────────────────────────────────────
// Events this script sent (new and re-sent), and what the gateway said became of them.
const posts = new Counter('outcomes_posts');
const sent = new Counter('outcomes_sent');
const resent = new Counter('outcomes_resent');
const accepted = new Counter('outcomes_accepted');
const duplicates = new Counter('outcomes_duplicates');
const unattributed = new Counter('outcomes_unattributed');
const queued = new Counter('outcomes_queued');
const held = new Counter('outcomes_held');
/** Re-sent events in responses with held or queued events: their fate is not known yet, so not judged. */
const dedupUnjudged = new Counter('outcomes_dedup_unjudged');
const rejected = new Counter('outcomes_rejected');
/** One sample per re-sent event: true when the gateway counted it as a duplicate. */
const dedupDetected = new Rate('outcomes_dedup_detected');
/** Responses that report more duplicates than the request re-sent: fresh events wrongly dropped. */
const falseDuplicates = new Counter('outcomes_false_duplicates');
/** One sample per new event with a known fate: true when it came back unattributed. */
const unattributedShare = new Rate('outcomes_unattributed_share');
/** Exposure requests whose answer did not confirm the user (non-200). */
const exposureFailed = new Counter('exposures_failed');

const thresholds = {
  'http_req_failed{endpoint:outcomes}': [
    `rate<${MAX_FAILED}`,
    { threshold: 'rate<0.5', abortOnFail: true, delayAbortEval: '15s' },
  ],
  'http_req_duration{endpoint:outcomes}': [`p(95)<${P95_MS}`, `p(99)<${P99_MS}`],
  checks: ['rate>0.99'],
  // The load generator kept up: at most MAX_DROPPED of the planned iterations had no free VU.
  dropped_iterations: [`count<=${Math.floor(SHAPE.planned * MAX_DROPPED)}`],
  // Every event is valid: the gateway must not reject any.
  outcomes_rejected: ['count<1'],
  // No fresh event may be taken for a duplicate.
  outcomes_false_duplicates: ['count<1'],
};
if (EXPOSE !== 'none' && DUP_SHARE > 0) {
  // Every re-sent event is recognised. (Re-sends need accepted events, so none without exposure.)
  thresholds.outcomes_dedup_detected = ['rate>0.999'];
}
if (EXPOSE !== 'none') {
  thresholds['http_req_failed{endpoint:expose}'] = [`rate<${MAX_FAILED}`];
  // Users were exposed before their events were sent, so (almost) none may be unattributed.
  thresholds.outcomes_unattributed_share = [`rate<=${MAX_UNATTRIBUTED}`];
}

// Exposure answers are not read; the outcome requests ask for their body with responseType.
export const options = scenarioOptions(
  SCENARIO,
  'outcomes',
  SHAPE.config,
  { preAllocatedVUs: PRE_VUS, maxVUs: MAX_VUS },
  thresholds,
);

// ── test ────────────────────────────────────────────────────────────────────────────────────
function jsonHeaders(extra) {
  const h = { 'Content-Type': 'application/json' };
  if (API_TOKEN !== '') h.Authorization = `Bearer ${API_TOKEN}`;
  return Object.assign(h, extra || {});
}

/**
 * The experiment's route and metrics as the gateway has them (GET /api/v1/experiments/<id>), or
 * undefined when it cannot say (an older gateway, a missing API_TOKEN).
 */
function gatewayExperiment() {
  const res = http.get(joinUrl(BASE_URL, `/api/v1/experiments/${encodeURIComponent(EXPERIMENT)}`), {
    headers: jsonHeaders(),
    tags: { endpoint: 'setup' },
    timeout: TIMEOUT,
    responseType: 'text',
  });
  if (res.status === 404) throw new Error(`EXPERIMENT: the gateway has no experiment "${EXPERIMENT}"`);
  if (res.status !== 200) return { status: res.status };
  try {
    const d = JSON.parse(res.body);
    const metrics = {};
    for (const m of d.metrics || []) metrics[m.name] = m.type;
    return { route: d.route && d.route.path, metrics };
  } catch (_err) {
    return { status: res.status };
  }
}

export function setup() {
  const health = http.get(joinUrl(BASE_URL, '/healthz'), { tags: { endpoint: 'setup' }, timeout: TIMEOUT });
  if (health.status !== 200) {
    throw new Error(
      `gateway not healthy: GET ${joinUrl(BASE_URL, '/healthz')} → ${health.status} ${health.error || ''}`,
    );
  }
  const fromGateway = gatewayExperiment();
  const route = ROUTE_SETTING || fromGateway.route;
  const metrics = PRESET ? PRESET.metrics : fromGateway.metrics;
  if (!metrics || (EXPOSE === 'predict' && !route)) {
    throw new Error(
      `EXPERIMENT: "${EXPERIMENT}" is not a preset (${Object.keys(PRESETS).join(', ')}) and GET /api/v1/experiments/${EXPERIMENT} ` +
        `answered ${fromGateway.status}: give API_TOKEN, or ROUTE`,
    );
  }
  if (Object.keys(metrics).length === 0) throw new Error(`EXPERIMENT: "${EXPERIMENT}" tracks no metrics`);
  return { route, metrics };
}

/** Users this VU has exposed (VU-local: k6 shares no state between VUs). */
const exposed = {};
/** Events this VU sent that the gateway accepted: candidates for re-sending. */
const history = [];
const HISTORY_LIMIT = 5000;
let sequence = 0;

function pickUser() {
  return `user-${Math.floor(Math.random() * USERS)}`;
}

function exposureRequest(user, data) {
  if (EXPOSE === 'assign') {
    return {
      method: 'POST',
      url: joinUrl(BASE_URL, '/api/v1/assign'),
      body: JSON.stringify({ experiment: EXPERIMENT, user_id: user }),
      params: { headers: jsonHeaders(), tags: { endpoint: 'expose' }, timeout: TIMEOUT },
    };
  }
  return {
    method: 'POST',
    url: joinUrl(BASE_URL, data.route),
    body: PRESET ? JSON.stringify(predictionBody(EXPERIMENT)) : '{}',
    params: { headers: jsonHeaders({ [UNIT_HEADER]: user }), tags: { endpoint: 'expose' }, timeout: TIMEOUT },
  };
}

/** Exposes the users this VU has not exposed yet; returns the users that could not be exposed. */
function expose(users, data) {
  if (EXPOSE === 'none') return {};
  const todo = users.filter((u) => !exposed[u]);
  const failed = {};
  if (todo.length === 0) return failed;
  const responses = http.batch(todo.map((u) => exposureRequest(u, data)));
  todo.forEach((u, i) => {
    // The assignment (and so the exposure) is recorded even when the model fails, but a
    // response without x-abgate-arm (EXPOSE=predict) means the request never got that far.
    const r = responses[i];
    const ok = r.status === 200 && (EXPOSE === 'assign' || header(r, 'x-abgate-arm') !== undefined);
    if (ok) exposed[u] = true;
    else {
      failed[u] = true;
      exposureFailed.add(1);
    }
  });
  return failed;
}

function newEvents(count, data) {
  const events = [];
  const users = [];
  while (events.length < count) {
    const user = pickUser();
    users.push(user);
    for (const o of PRESET ? userOutcomes(EXPERIMENT) : genericOutcomes(data.metrics)) {
      if (events.length === count) break;
      sequence++;
      events.push({
        user_id: user,
        metric: o.metric,
        value: o.value,
        experiment: EXPERIMENT,
        event_id: `k6-${__VU}-${sequence}-${Math.floor(Math.random() * 1e9).toString(36)}`,
      });
    }
  }
  return { events, users };
}

function parseBody(res) {
  try {
    return res.json();
  } catch (_err) {
    return undefined;
  }
}

const isCount = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** The scenario function of SCENARIO (smoke, steady). */
export function outcomes(data) {
  const batch = Math.random() < BATCH_SHARE;
  const size = batch ? BATCH : 1;

  // Re-sends: earlier accepted events, at most once each per request.
  const resends = [];
  const resendIds = {};
  for (let i = 0; i < size; i++) {
    if (history.length > 0 && Math.random() < DUP_SHARE) {
      const old = history[Math.floor(Math.random() * history.length)];
      if (!resendIds[old.event_id]) {
        resendIds[old.event_id] = true;
        resends.push(old);
      }
    }
  }
  const fresh = newEvents(size - resends.length, data);
  const failedExposure = expose(fresh.users, data);
  const freshEvents = fresh.events.filter((e) => !failedExposure[e.user_id]);
  const events = freshEvents.concat(resends);
  if (events.length === 0) return;
  // Shuffle so re-sends are not always at the end of the batch.
  for (let i = events.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = events[i];
    events[i] = events[j];
    events[j] = t;
  }

  const single = !batch && events.length === 1;
  const res = http.post(OUTCOMES_URL, JSON.stringify(single ? events[0] : events), {
    headers: jsonHeaders(),
    tags: { endpoint: 'outcomes', mode: single ? 'single' : 'batch' },
    timeout: TIMEOUT,
    responseType: 'text',
  });
  const body = res.status === 202 ? parseBody(res) : undefined;
  const b = body || {};
  const rejectedList = Array.isArray(b.rejected) ? b.rejected : undefined;
  // `held` is newer than the other counts: a gateway without it holds nothing.
  const heldCount = b.held === undefined ? 0 : b.held;
  const wellFormed =
    isCount(b.accepted) &&
    isCount(b.duplicates) &&
    isCount(b.unattributed) &&
    isCount(heldCount) &&
    isCount(b.queued) &&
    rejectedList !== undefined;

  posts.add(1);
  sent.add(events.length);
  resent.add(resends.length);
  check(res, {
    'outcomes: status is 202': (r) => r.status === 202,
    'outcomes: body has accepted, duplicates, unattributed, held, queued, rejected': () => wellFormed,
    'outcomes: every event has a status': () =>
      wellFormed &&
      b.accepted + b.duplicates + b.unattributed + heldCount + b.queued + rejectedList.length ===
        events.length,
  });
  if (!wellFormed) {
    if (res.status !== 202) {
      console.warn(
        `POST /api/v1/outcomes (${events.length} events) → ${res.status || res.error} (x-request-id ${header(res, 'x-request-id') || '-'})`,
      );
    }
    return;
  }

  accepted.add(b.accepted);
  duplicates.add(b.duplicates);
  unattributed.add(b.unattributed);
  queued.add(b.queued);
  held.add(heldCount);
  rejected.add(rejectedList.length);
  if (rejectedList.length > 0) console.warn(`rejected events: ${JSON.stringify(rejectedList.slice(0, 3))}`);

  // Held and queued events are not decided yet, and the counts do not say which they are:
  // such a response cannot show whether a re-send was caught or a fresh event attributed.
  const undecided = heldCount + b.queued;
  // Duplicates: the request re-sent `resends.length` events the gateway had accepted before.
  if (undecided === 0) {
    const detected = Math.min(b.duplicates, resends.length);
    for (let i = 0; i < resends.length; i++) dedupDetected.add(i < detected);
  } else {
    dedupUnjudged.add(resends.length);
  }
  // More duplicates than re-sends is wrong whatever else happened: fresh events were dropped.
  if (b.duplicates > resends.length) falseDuplicates.add(b.duplicates - resends.length);

  // Attribution of the fresh events, when every fate is known.
  if (undecided === 0 && rejectedList.length === 0) {
    const freshUnattributed = b.unattributed;
    for (let i = 0; i < freshEvents.length; i++) unattributedShare.add(i < freshUnattributed);
  }

  // Remember the fresh events for re-sending only when every one of them was accepted:
  // the answer gives counts, not per-event statuses, and a duplicate must refer to an
  // event the gateway counted.
  if (b.accepted === freshEvents.length && b.duplicates === resends.length) {
    for (const e of freshEvents) {
      if (history.length < HISTORY_LIMIT) history.push(e);
      else history[Math.floor(Math.random() * HISTORY_LIMIT)] = e;
    }
  }
}

// ── end-of-test summary ─────────────────────────────────────────────────────────────────────

/** k6's own scenario (`k6 run --vus 5 --duration 5s`): the same iteration. */
export default function (data) {
  outcomes(data);
}

export function handleSummary(raw) {
  const data = normalizeSummary(raw, thresholds);
  const I = '    ';
  const total = countOf(data, 'outcomes_sent');
  const share = (n) => (total > 0 ? fmtPct(n / total) : '-');
  const lines = [''];
  lines.push(`  abgate outcome ingestion load test: ${SCENARIO}, POST ${OUTCOMES_URL}`);
  lines.push(
    `  experiment ${EXPERIMENT}, batch ${BATCH} events on ${fmtPct(BATCH_SHARE, 0)} of posts, ` +
      `re-sends ${fmtPct(DUP_SHARE, 0)}, exposure via ${EXPOSE}, ${USERS} users`,
  );
  lines.push('');
  lines.push('  █ EVENTS');
  lines.push(`${I}sent           ${total} (${countOf(data, 'outcomes_resent')} deliberate re-sends)`);
  for (const [label, metric] of [
    ['accepted', 'outcomes_accepted'],
    ['duplicates', 'outcomes_duplicates'],
    ['unattributed', 'outcomes_unattributed'],
    ['held', 'outcomes_held'],
    ['queued', 'outcomes_queued'],
    ['rejected', 'outcomes_rejected'],
  ]) {
    const n = countOf(data, metric);
    lines.push(`${I}${label.padEnd(14)} ${n} (${share(n)})`);
  }
  lines.push(`${I}exposures that failed ${countOf(data, 'exposures_failed')}`);
  const unjudged = countOf(data, 'outcomes_dedup_unjudged');
  if (unjudged > 0) {
    lines.push(
      `${I}re-sends not judged ${unjudged} (their response had held or queued events: fate not known yet)`,
    );
  }
  lines.push('');
  lines.push('  █ HTTP (outcome posts)');
  lines.push(...httpSection(data, I, 'endpoint:outcomes', 'outcomes_posts'));
  lines.push('');
  return finishSummary(lines, data, I, SUMMARY_JSON, raw);
}
