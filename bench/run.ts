// `npm run bench`: throughput and latency of abgate against the bare upstream and a bare Node proxy.
// See bench/README.md. Every server runs in its own process; the load generator runs here.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import {
  autocannonRate,
  paced,
  saturate,
  USER_POOL,
  type PacedResult,
  type SaturationResult,
  type Target,
} from './harness/load.js';
import {
  cpuTimeMs,
  machineCpuMs,
  ROOT,
  redisStoreAvailable,
  rssBytes,
  startBare,
  startGateway,
  startRedis,
  startUpstream,
  type ServerProcess,
} from './harness/processes.js';
import { formatSummary, summarizeFile } from './harness/profile-summary.js';
import { median } from './harness/stats.js';

const USAGE = `npm run bench [-- options]

  --rounds N             interleaved rounds, medians reported (default 3)
  --duration S           seconds of saturation per configuration and round (default 5)
  --connections N        autocannon connections at saturation (default 64)
  --rate R               fixed rate of the latency measurement, req/s (default 1000)
  --latency-duration S   seconds at --rate per configuration and round (default 5; 0 skips latency)
  --latency-driver D     paced (default: evenly spaced, µs resolution) | autocannon (overallRate)
  --store S              redis | memory (default: redis when the RedisEventStore is built)
  --log-sample-rate X    ABGATE_LOG_SAMPLE_RATE of the gateway (default: the gateway's own, 0.01)
  --only LIST            configurations to run, e.g. bare,abgate (default direct,bare,abgate[,abgate-base])
  --bare-api A           request (default: Pool.request + pipe, the reference) | dispatch (Pool.dispatch)
  --baseline DIR         also run "abgate-base": DIR/bin/abgate.js (a copy of bin/, dist/, package.json)
  --abgate-env K=V,...   extra environment for "abgate" only (e.g. ABGATE_LOG_SAMPLE_RATE=0 against
                         --baseline . to price a feature)
  --cpu-prof             profile the gateway (node --cpu-prof) during one saturation run, print a summary
  --memory               5 min at --rate with 1,000,000 distinct user ids, sampling the gateway RSS (5+ min)
  --memory-minutes M     length of --memory (default 5)
  --out FILE             JSON results (default bench/results/latest.json)`;

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
    rate: { type: 'string', default: '1000' },
    'latency-duration': { type: 'string', default: '5' },
    'latency-driver': { type: 'string', default: 'paced' },
    store: { type: 'string' },
    'log-sample-rate': { type: 'string' },
    only: { type: 'string' },
    baseline: { type: 'string' },
    'bare-api': { type: 'string', default: 'request' },
    'abgate-env': { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    memory: { type: 'boolean', default: false },
    'memory-minutes': { type: 'string', default: '5' },
    out: { type: 'string', default: join(ROOT, 'bench/results/latest.json') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log(USAGE);
  process.exit(0);
}

const ROUNDS = Number(opt.rounds);
const DURATION = Number(opt.duration);
const CONNECTIONS = Number(opt.connections);
const RATE = Number(opt.rate);
const LATENCY_DURATION = Number(opt['latency-duration']);
const LOG_SAMPLE_RATE = opt['log-sample-rate'] === undefined ? undefined : Number(opt['log-sample-rate']);
const WARMUP_S = 3;
const ABGATE_ENV: Record<string, string> = Object.fromEntries(
  (opt['abgate-env'] ?? '')
    .split(',')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
);

const TARGETS = { throughputVsBare: 0.9, addedP50Ms: 0.5, addedP99Ms: 2 } as const;

type ConfigName = 'direct' | 'bare' | 'abgate' | 'abgate-base';

interface Config {
  readonly name: ConfigName;
  readonly server: ServerProcess;
  readonly target: Target;
}

interface RoundResult {
  readonly round: number;
  readonly config: ConfigName;
  readonly saturation: SaturationResult;
  /** CPU time of the server under test per request at saturation (µs). */
  readonly cpuUsPerReq: number | undefined;
  readonly upstreamCpuUsPerReq: number | undefined;
  readonly redisCpuUsPerReq: number | undefined;
  /** Share of the machine's CPU used by processes other than the bench and its servers (%). */
  readonly otherLoadPct: number | undefined;
  readonly latency: PacedResult;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const log = (s = '') => console.log(s);

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

const started: ServerProcess[] = [];
let workDir: string | undefined;
async function cleanup(): Promise<void> {
  await Promise.all(started.splice(0).map((p) => p.stop()));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

async function chooseStore(): Promise<{ store: 'redis' | 'memory'; note?: string }> {
  const requested = opt.store;
  if (requested !== undefined && requested !== 'redis' && requested !== 'memory') {
    throw new Error(`--store must be redis or memory, got "${requested}"`);
  }
  if (requested === 'memory') return { store: 'memory' };
  const available = await redisStoreAvailable();
  if (available.ok) return { store: 'redis' };
  if (requested === 'redis') throw new Error(`--store redis: ${available.reason}`);
  return {
    store: 'memory',
    note: [
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      '!!  NOTE: the Redis event store is not available, so abgate runs with the IN-MEMORY store. !!',
      `!!  ${available.reason}`,
      '!!  Exposures are still recorded (in memory); Redis write costs are NOT measured.         !!',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    ].join('\n'),
  };
}

function processCpu(p: ServerProcess | undefined): number | undefined {
  return p ? cpuTimeMs(p.pid) : undefined;
}

/** CPU time used so far by this process and every server it started, in ms. */
function ourCpuMs(): number {
  const self = process.cpuUsage();
  let ms = (self.user + self.system) / 1000;
  for (const p of started) ms += cpuTimeMs(p.pid) ?? 0;
  return ms;
}

/** Measures how much of the machine other processes used while `run` ran (%), next to its result. */
async function withOtherLoad<T>(
  run: () => Promise<T>,
): Promise<{ result: T; otherLoadPct: number | undefined }> {
  const m0 = machineCpuMs();
  const ours0 = ourCpuMs();
  const result = await run();
  const m1 = machineCpuMs();
  const ours = ourCpuMs() - ours0;
  if (!m0 || !m1 || m1.totalMs <= m0.totalMs) return { result, otherLoadPct: undefined };
  const other = Math.max(0, m1.busyMs - m0.busyMs - ours);
  return { result, otherLoadPct: (100 * other) / (m1.totalMs - m0.totalMs) };
}

function perRequestUs(before: number | undefined, after: number | undefined, requests: number) {
  return before === undefined || after === undefined || requests === 0
    ? undefined
    : ((after - before) * 1000) / requests;
}

/** Checks that a configuration answers a prediction with 200 before measuring it. */
async function probe(config: Config): Promise<void> {
  const res = await fetch(config.target.url + config.target.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-id': 'probe-user' },
    body: JSON.stringify({ features: { query_length: 3 } }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${config.name}: probe answered ${res.status}: ${text}`);
}

function latencyRun(target: Target, durationS: number): Promise<PacedResult> {
  return opt['latency-driver'] === 'autocannon'
    ? autocannonRate(target, RATE, durationS)
    : paced(target, { rate: RATE, durationS });
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  log(
    `abgate bench — node ${process.version}, ${cores} cores (${cpus()[0]?.model ?? 'unknown cpu'}), ${new Date().toISOString()}`,
  );
  log(
    `NOTE: the load generator (autocannon, in this process) and every server under test share these ${cores} cores;` +
      '\n      absolute numbers are bound by the machine; compare the RATIOS between configurations.',
  );
  const { store, note } = await chooseStore();
  if (note) log(`\n${note}\n`);

  const dir = mkdtempSync(join(tmpdir(), 'abgate-bench-'));
  workDir = dir;
  const upstream = await startUpstream();
  started.push(upstream);
  const redis = store === 'redis' ? await startRedis() : undefined;
  if (redis) started.push(redis);

  const startAbgate = async (cpuProfDir?: string, root?: string) => {
    const gw = await startGateway({
      root,
      upstreamUrl: upstream.url,
      redisUrl: redis?.url,
      workDir: dir,
      logSampleRate: LOG_SAMPLE_RATE,
      cpuProfDir,
      env: ABGATE_ENV,
    });
    started.push(gw);
    return gw;
  };

  if (opt.memory) return memoryMode(await startAbgate(), store);
  if (opt['cpu-prof']) return profileMode(startAbgate);

  const wanted = new Set(
    (opt.only ?? `direct,bare,abgate${opt.baseline ? ',abgate-base' : ''}`).split(',').map((s) => s.trim()),
  );
  const configs: Config[] = [];
  const predict = '/models/ranker/predict';
  if (wanted.has('direct'))
    configs.push({ name: 'direct', server: upstream, target: { url: upstream.url, path: '/rank' } });
  if (wanted.has('bare')) {
    const bare = await startBare(upstream.url, opt['bare-api']);
    started.push(bare);
    configs.push({ name: 'bare', server: bare, target: { url: bare.url, path: '/rank' } });
  }
  if (wanted.has('abgate')) {
    const gw = await startAbgate();
    configs.push({ name: 'abgate', server: gw, target: { url: gw.url, path: predict } });
  }
  if (wanted.has('abgate-base')) {
    if (!opt.baseline) throw new Error('abgate-base needs --baseline DIR');
    const gw = await startGateway({
      upstreamUrl: upstream.url,
      redisUrl: redis?.url,
      workDir: join(dir, 'base'),
      logSampleRate: LOG_SAMPLE_RATE,
      root: resolve(opt.baseline),
    });
    started.push(gw);
    configs.push({
      name: 'abgate-base',
      server: { ...gw, name: 'abgate-base' },
      target: { url: gw.url, path: predict },
    });
  }
  for (const c of configs) await probe(c);

  log(
    `\nstore: ${store}${redis ? ` (redis-server pid ${redis.pid}, port ${redis.port})` : ''}; exposures recorded for every request` +
      `\nrequest: POST ${BODY_NOTE}, random x-user-id out of ${USER_POOL.toLocaleString('en')} distinct ids (every configuration)` +
      `\nplan: warm-up ${WARMUP_S} s each, then ${ROUNDS} interleaved rounds of [saturation ${CONNECTIONS} connections × ${DURATION} s,` +
      ` ${opt['latency-driver']} ${RATE} req/s × ${LATENCY_DURATION} s] per configuration; medians reported` +
      `\nbare proxy: undici Pool.${opt['bare-api']}()` +
      (Object.keys(ABGATE_ENV).length > 0
        ? `\nabgate extra environment: ${JSON.stringify(ABGATE_ENV)}`
        : '') +
      (opt.baseline ? `\nabgate-base: ${resolve(opt.baseline)}/bin/abgate.js` : ''),
  );

  log('\nwarm-up…');
  for (const c of configs) {
    await saturate(c.target, CONNECTIONS, WARMUP_S);
    if (LATENCY_DURATION > 0) await latencyRun(c.target, 1);
  }

  const results: RoundResult[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // Rotate the order each round so no configuration always runs first (or right after another).
    const order = configs.map((_, i) => configs[(i + round - 1) % configs.length]!);
    const line: string[] = [];
    for (const c of order) {
      await sleep(300);
      const front0 = processCpu(c.server);
      const up0 = c.server === upstream ? undefined : processCpu(upstream);
      const redis0 = processCpu(redis);
      const { result: sat, otherLoadPct } = await withOtherLoad(() =>
        saturate(c.target, CONNECTIONS, DURATION),
      );
      const cpu = perRequestUs(front0, processCpu(c.server), sat.requests);
      const upCpu = c.server === upstream ? cpu : perRequestUs(up0, processCpu(upstream), sat.requests);
      const redisCpu = c.name.startsWith('abgate')
        ? perRequestUs(redis0, processCpu(redis), sat.requests)
        : undefined;
      await sleep(300);
      const lat = LATENCY_DURATION > 0 ? await latencyRun(c.target, LATENCY_DURATION) : NO_LATENCY;
      const r: RoundResult = {
        round,
        config: c.name,
        saturation: sat,
        cpuUsPerReq: cpu,
        upstreamCpuUsPerReq: upCpu,
        redisCpuUsPerReq: redisCpu,
        otherLoadPct,
        latency: lat,
      };
      results.push(r);
      const problems = sat.non2xx + sat.errors + lat.non2xx + lat.errors;
      line.push(
        `${c.name} ${fmt(sat.rps)} req/s, p50 ${fmt(lat.p50Ms, 3)} p99 ${fmt(lat.p99Ms, 3)} ms` +
          (problems > 0
            ? ` (!! ${sat.non2xx + lat.non2xx} non-2xx, ${sat.errors + lat.errors} errors)`
            : '') +
          (otherLoadPct !== undefined && otherLoadPct >= 5 ? ` [other load ${fmt(otherLoadPct)}%]` : ''),
      );
    }
    log(`round ${round}: ${line.join(' | ')}`);
  }

  report(
    configs.map((c) => c.name),
    results,
    store,
    note,
  );
}

const NO_LATENCY: PacedResult = {
  achievedRate: NaN,
  requests: 0,
  non2xx: 0,
  errors: 0,
  p50Ms: NaN,
  p90Ms: NaN,
  p99Ms: NaN,
  maxMs: NaN,
};

const BODY_NOTE = 'a ~60-byte JSON body';

interface Summary {
  config: ConfigName;
  rps: number;
  cpuUsPerReq: number;
  upstreamCpuUsPerReq: number;
  redisCpuUsPerReq: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  achievedRate: number;
  non2xx: number;
  errors: number;
  otherLoadPct: number;
}

function report(names: ConfigName[], results: RoundResult[], store: string, storeNote: string | undefined) {
  const summaries = new Map<ConfigName, Summary>();
  for (const name of names) {
    const rs = results.filter((r) => r.config === name);
    const m = (f: (r: RoundResult) => number | undefined) => median(rs.map((r) => f(r) ?? NaN));
    summaries.set(name, {
      config: name,
      rps: m((r) => r.saturation.rps),
      cpuUsPerReq: m((r) => r.cpuUsPerReq),
      upstreamCpuUsPerReq: m((r) => r.upstreamCpuUsPerReq),
      redisCpuUsPerReq: m((r) => r.redisCpuUsPerReq),
      p50Ms: m((r) => r.latency.p50Ms),
      p90Ms: m((r) => r.latency.p90Ms),
      p99Ms: m((r) => r.latency.p99Ms),
      achievedRate: m((r) => r.latency.achievedRate),
      non2xx: rs.reduce((a, r) => a + r.saturation.non2xx + r.latency.non2xx, 0),
      errors: rs.reduce((a, r) => a + r.saturation.errors + r.latency.errors, 0),
      otherLoadPct: m((r) => r.otherLoadPct),
    });
  }

  log(`\nmedians over ${ROUNDS} rounds`);
  const rows: string[][] = [
    [
      'config',
      `req/s @${CONNECTIONS} conn`,
      'server CPU µs/req',
      `p50 @${RATE}/s`,
      'p90',
      'p99',
      'non-2xx/errors',
      'other load',
    ],
  ];
  for (const s of summaries.values()) {
    rows.push([
      s.config,
      fmt(s.rps),
      fmt(s.cpuUsPerReq) + (s.redisCpuUsPerReq > 0 ? ` (+redis ${fmt(s.redisCpuUsPerReq)})` : ''),
      `${fmt(s.p50Ms, 3)} ms`,
      `${fmt(s.p90Ms, 3)} ms`,
      `${fmt(s.p99Ms, 3)} ms`,
      `${s.non2xx}/${s.errors}`,
      `${fmt(s.otherLoadPct)}%`,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    log(
      '  ' + r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   '),
    );
  const busiest = Math.max(...[...summaries.values()].map((s) => s.otherLoadPct));
  if (busiest >= 10) {
    log(
      `  !! other processes used up to ${fmt(busiest)}% of the machine during the runs: the numbers are noisy;` +
        ' rerun on a quiet machine or with more --rounds',
    );
  }

  const direct = summaries.get('direct');
  const bare = summaries.get('bare');
  const gw = summaries.get('abgate');
  const perRound = (a: ConfigName, b: ConfigName, f: (r: RoundResult) => number) => {
    const out: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const ra = results.find((r) => r.round === round && r.config === a);
      const rb = results.find((r) => r.round === round && r.config === b);
      if (ra && rb) out.push(f(ra) / f(rb));
    }
    return out;
  };
  // Paired per round (the two ran a few seconds apart): robust to drifting background load.
  const range = (xs: number[]) =>
    xs.length > 0
      ? ` (per round: median ${fmt(median(xs), 2)}, range ${fmt(Math.min(...xs), 2)}–${fmt(Math.max(...xs), 2)})`
      : '';
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

  const ratios: Record<string, number> = {};
  const checks: Record<string, boolean> = {};
  log('\nratios and targets');
  if (gw && bare) {
    ratios.throughputAbgateOverBare = gw.rps / bare.rps;
    checks.throughputVsBare = ratios.throughputAbgateOverBare >= TARGETS.throughputVsBare;
    log(
      `  throughput abgate/bare     ${fmt(ratios.throughputAbgateOverBare, 2).padStart(6)}   target ≥ ${TARGETS.throughputVsBare}   ${verdict(checks.throughputVsBare)}` +
        range(perRound('abgate', 'bare', (r) => r.saturation.rps)),
    );
  }
  if (gw && direct) {
    ratios.throughputAbgateOverDirect = gw.rps / direct.rps;
    log(
      `  throughput abgate/direct   ${fmt(ratios.throughputAbgateOverDirect, 2).padStart(6)}   (information: direct needs no proxy process at all)` +
        range(perRound('abgate', 'direct', (r) => r.saturation.rps)),
    );
  }
  if (bare && direct) {
    ratios.throughputBareOverDirect = bare.rps / direct.rps;
    log(
      `  throughput bare/direct     ${fmt(ratios.throughputBareOverDirect, 2).padStart(6)}   (information)`,
    );
  }
  if (gw && direct) {
    ratios.addedP50Ms = gw.p50Ms - direct.p50Ms;
    ratios.addedP99Ms = gw.p99Ms - direct.p99Ms;
    checks.addedP50 = ratios.addedP50Ms <= TARGETS.addedP50Ms;
    checks.addedP99 = ratios.addedP99Ms <= TARGETS.addedP99Ms;
    log(
      `  added p50 abgate−direct    ${fmt(ratios.addedP50Ms, 3).padStart(6)} ms   target ≤ ${TARGETS.addedP50Ms} ms   ${verdict(checks.addedP50)}`,
    );
    log(
      `  added p99 abgate−direct    ${fmt(ratios.addedP99Ms, 3).padStart(6)} ms   target ≤ ${TARGETS.addedP99Ms} ms     ${verdict(checks.addedP99)}`,
    );
  }
  if (bare && direct) {
    log(
      `  added p50/p99 bare−direct  ${fmt(bare.p50Ms - direct.p50Ms, 3)} / ${fmt(bare.p99Ms - direct.p99Ms, 3)} ms   (information: the floor of any Node proxy)`,
    );
  }
  const base = summaries.get('abgate-base');
  if (gw && base) {
    ratios.throughputAbgateOverBase = gw.rps / base.rps;
    ratios.cpuAbgateOverBase = gw.cpuUsPerReq / base.cpuUsPerReq;
    log(
      `  throughput abgate/abgate-base ${fmt(ratios.throughputAbgateOverBase, 2)}` +
        range(perRound('abgate', 'abgate-base', (r) => r.saturation.rps)),
    );
    log(
      `  CPU/req abgate/abgate-base    ${fmt(ratios.cpuAbgateOverBase, 2)} (${fmt(gw.cpuUsPerReq)} vs ${fmt(base.cpuUsPerReq)} µs)` +
        range(perRound('abgate', 'abgate-base', (r) => r.cpuUsPerReq ?? NaN)),
    );
  }
  if (gw && bare) {
    log(
      `  CPU/req abgate/bare           ${fmt(gw.cpuUsPerReq / bare.cpuUsPerReq, 2)}` +
        range(perRound('abgate', 'bare', (r) => r.cpuUsPerReq ?? NaN)) +
        '  (information: server CPU per request, less sensitive to background load than req/s)',
    );
  }
  if (storeNote) log(`\n${storeNote}`);
  log(
    `\nThe load generator and the servers share ${availableParallelism()} cores: absolute req/s and ms are machine-bound; ratios matter.`,
  );

  writeJson({
    kind: 'throughput-latency',
    store,
    storeNote,
    targets: TARGETS,
    medians: Object.fromEntries(summaries),
    ratios,
    checks,
    rounds: results,
  });
}

function writeJson(body: Record<string, unknown>): void {
  const out = opt.out;
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        commit: gitCommit(),
        node: process.version,
        cores: availableParallelism(),
        cpu: cpus()[0]?.model,
        options: {
          rounds: ROUNDS,
          durationS: DURATION,
          connections: CONNECTIONS,
          rate: RATE,
          latencyDurationS: LATENCY_DURATION,
          latencyDriver: opt['latency-driver'],
          bareApi: opt['bare-api'],
          abgateEnv: ABGATE_ENV,
          baseline: opt.baseline,
          logSampleRate: LOG_SAMPLE_RATE ?? 'gateway default (1)',
          userPool: USER_POOL,
        },
        ...body,
      },
      null,
      2,
    ) + '\n',
  );
  log(`results written to ${out}`);
}

/** One saturation run of the gateway under `node --cpu-prof`, then a summary of the profile. */
async function profileMode(startAbgate: (cpuProfDir?: string, root?: string) => Promise<ServerProcess>) {
  const dir = join(ROOT, 'bench/results/profiles');
  mkdirSync(dir, { recursive: true });
  // With --baseline, the baseline build is profiled the same way first, for a side-by-side reading.
  const builds: [string, string | undefined][] = opt.baseline
    ? [
        ['abgate-base', resolve(opt.baseline)],
        ['abgate', undefined],
      ]
    : [['abgate', undefined]];
  const summaries: Record<string, unknown> = {};
  for (const [name, root] of builds) {
    const before = new Set(readdirSync(dir));
    const gw = await startAbgate(dir, root);
    const target = { url: gw.url, path: '/models/ranker/predict' };
    log(
      `\nprofiling ${name} (pid ${gw.pid}): warm-up ${WARMUP_S} s, then saturation ${CONNECTIONS} connections × ${DURATION} s`,
    );
    await saturate(target, CONNECTIONS, WARMUP_S);
    const cpu0 = cpuTimeMs(gw.pid);
    const sat = await saturate(target, CONNECTIONS, DURATION);
    const cpu = perRequestUs(cpu0, cpuTimeMs(gw.pid), sat.requests);
    log(
      `saturation: ${fmt(sat.rps)} req/s, gateway CPU ${fmt(cpu ?? NaN)} µs/req (profiler overhead included)`,
    );
    await gw.stop(); // SIGTERM: graceful exit writes the profile
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no new .cpuprofile in ${dir}`);
    log(`\n${join(dir, file)} (open in Chrome DevTools → Performance, or speedscope)\n`);
    // Only the measured window: start-up and warm-up are left out.
    const summary = summarizeFile(join(dir, file), 30, DURATION);
    log(formatSummary(summary));
    summaries[name] = { file: join(dir, file), rps: sat.rps, cpuUsPerReq: cpu, byFeature: summary.byFeature };
  }
  writeJson({ kind: 'cpu-profile', profiles: summaries });
}

/** --memory: a long run at the fixed rate with a million distinct users, sampling the gateway's RSS. */
async function memoryMode(gw: ServerProcess, store: string): Promise<void> {
  const minutes = Number(opt['memory-minutes']);
  const durationS = minutes * 60;
  const warmupS = Math.min(60, durationS / 5);
  log(
    `\nmemory: ${minutes} min at ${RATE} req/s against abgate (pid ${gw.pid}, store ${store}); every request a new user id` +
      ` out of ${USER_POOL.toLocaleString('en')} (permuted, no repeats until the pool is used up); RSS sampled every 10 s;` +
      ` warm-up ${warmupS} s.\nThis takes ${minutes}+ minutes.`,
  );
  // A bijection of [0, USER_POOL): 7919 is coprime with 10^6, so i ↦ (7919 i + 12345) mod 10^6 never repeats.
  let i = 0;
  const userId = () => `u${(7919 * i++ + 12345) % USER_POOL}`;
  const samples: { s: number; rssMiB: number; otherLoadPct: number | undefined }[] = [];
  let m0 = machineCpuMs();
  let ours0 = ourCpuMs();
  const sample = (s: number) => {
    const rss = rssBytes(gw.pid);
    // Other processes' share of the machine since the previous sample, to explain latency bumps.
    const m1 = machineCpuMs();
    const ours1 = ourCpuMs();
    const other =
      m0 && m1 && m1.totalMs > m0.totalMs
        ? (100 * Math.max(0, m1.busyMs - m0.busyMs - (ours1 - ours0))) / (m1.totalMs - m0.totalMs)
        : undefined;
    m0 = m1;
    ours0 = ours1;
    if (rss === undefined) return;
    samples.push({ s: Math.round(s), rssMiB: rss / 2 ** 20, otherLoadPct: other });
    log(
      `  t=${String(Math.round(s)).padStart(4)} s  RSS ${fmt(rss / 2 ** 20, 1).padStart(6)} MiB` +
        (s > 0 && other !== undefined ? `   other load ${fmt(other)}%` : ''),
    );
  };
  sample(0);
  const lat = await paced(
    { url: gw.url, path: '/models/ranker/predict' },
    {
      rate: RATE,
      durationS,
      userId,
      onSample: sample,
      sampleEveryS: 10,
      windowS: 10,
    },
  );
  if (samples.at(-1)?.s !== Math.round(durationS)) sample(durationS);
  log('\n  window      requests   p50        p99        max');
  // The last window may hold only the final request or two: leave such scraps out.
  for (const w of (lat.windows ?? []).filter((x) => x.requests >= RATE)) {
    log(
      `  ${String(w.startS).padStart(4)}–${String(w.startS + 10).padEnd(4)} s ${String(w.requests).padStart(8)}` +
        `   ${fmt(w.p50Ms, 3).padStart(7)} ms ${fmt(w.p99Ms, 3).padStart(8)} ms ${fmt(w.maxMs, 1).padStart(8)} ms`,
    );
  }
  const steady = (lat.windows ?? []).filter((w) => w.startS >= warmupS && w.requests >= RATE);

  // Single samples swing with V8's GC sawtooth (tens of MiB); the verdict compares per-minute medians.
  const after = samples.filter((x) => x.s >= warmupS);
  const minuteMedians: number[] = [];
  for (let t = warmupS; t < durationS; t += 60) {
    const inMinute = after.filter((x) => x.s >= t && x.s < t + 60).map((x) => x.rssMiB);
    if (inMinute.length > 0) minuteMedians.push(median(inMinute));
  }
  const ref = minuteMedians[0] ?? NaN;
  const within = minuteMedians.every((m) => m <= ref * 1.1 && m >= ref * 0.9);
  const maxAfter = Math.max(...after.map((x) => x.rssMiB));
  const first = samples[0]!.rssMiB;
  const last = samples[samples.length - 1]!.rssMiB;
  const max = Math.max(...samples.map((x) => x.rssMiB));
  log(
    `\nRSS first ${fmt(first, 1)} MiB, last ${fmt(last, 1)} MiB, max ${fmt(max, 1)} MiB (after warm-up ${fmt(maxAfter, 1)} MiB)` +
      `\nper-minute medians after warm-up: ${minuteMedians.map((m) => fmt(m, 1)).join(', ')} MiB` +
      `\nstays within ±10% of the first post-warm-up minute: ${within ? 'YES' : 'NO'}` +
      ` (single samples: ${fmt((100 * (maxAfter - ref)) / ref)}% above it at most)` +
      `\nlatency after warm-up: median of the 10 s windows' p50 ${fmt(median(steady.map((w) => w.p50Ms)), 3)} ms,` +
      ` of their p99 ${fmt(median(steady.map((w) => w.p99Ms)), 3)} ms` +
      `\nlatency over the whole run: p50 ${fmt(lat.p50Ms, 3)} ms, p99 ${fmt(lat.p99Ms, 3)} ms (includes the cold start),` +
      ` ${lat.requests} requests (${Math.min(lat.requests, USER_POOL)} distinct users), ${lat.non2xx} non-2xx, ${lat.errors} errors`,
  );
  if (store === 'memory')
    log('NOTE: the in-memory store keeps every exposed user: RSS grows with distinct users by design.');
  writeJson({
    kind: 'memory',
    store,
    minutes,
    warmupS,
    rssMiB: {
      first,
      last,
      max,
      maxAfterWarmup: maxAfter,
      minuteMediansAfterWarmup: minuteMedians,
      withinTenPercent: within,
    },
    samples,
    latency: lat,
  });
}

try {
  await main();
} finally {
  await cleanup();
}
