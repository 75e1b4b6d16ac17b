// `node --import tsx bench/wrk.ts`: abgate against the bare Node proxy, driven by wrk (a C load
// generator, so the client costs the shared cores little), interleaved in one run. See bench/README.md.
//
// For every round, user mix (new users / Zipf returning users) and connection count, each
// configuration gets one wrk run in turn (order rotated per round); medians over rounds and the
// median of the per-round ratios abgate/bare are reported, with CPU µs per request of the server's
// whole process tree (cluster workers included) from /proc/<pid>/stat.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { paced, type PacedResult } from './harness/load.js';
import {
  cpuTimeMs,
  machineCpuMs,
  processTree,
  ROOT,
  startBare,
  startBareCluster,
  startGateway,
  startRedis,
  startUpstream,
  treeCpuMs,
  type ServerProcess,
} from './harness/processes.js';
import { median } from './harness/stats.js';
import { parseWrk, type WrkResult } from './lib/wrk-output.js';

const USAGE = `node --import tsx bench/wrk.ts [options]      (npm run build first)

  --rounds N            interleaved rounds, medians reported (default 3)
  --duration S          seconds per wrk run (default 5)
  --connections LIST    wrk connections (default 1,4,32)
  --users LIST          new (a new user per request) | zipf (Zipf over 1M ids) (default new,zipf)
  --store S             redis (own redis-server) | memory (default redis)
  --workers LIST        abgate --workers values; bare runs in as many processes (default 1)
  --rate R              fixed-rate latency run, req/s (default 1000; paced open-loop client)
  --latency-duration S  seconds at --rate per configuration, user mix and round (default 5; 0 skips)
  --bare-api A          request (default) | dispatch
  --baseline DIR        also run "base": another build's DIR/bin/abgate.js (a copy of bin/, dist/,
                        package.json, node_modules), same store, for a before/after in one run
  --wrk PATH            wrk binary (default /usr/bin/wrk)
  --out FILE            JSON results (default bench/results/wrk-latest.json)`;

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '1,4,32' },
    users: { type: 'string', default: 'new,zipf' },
    store: { type: 'string', default: 'redis' },
    workers: { type: 'string', default: '1' },
    rate: { type: 'string', default: '1000' },
    'latency-duration': { type: 'string', default: '5' },
    'bare-api': { type: 'string', default: 'request' },
    baseline: { type: 'string' },
    wrk: { type: 'string', default: '/usr/bin/wrk' },
    out: { type: 'string', default: join(ROOT, 'bench/results/wrk-latest.json') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log(USAGE);
  process.exit(0);
}

const ROUNDS = Number(opt.rounds);
const DURATION = Number(opt.duration);
const CONNECTIONS = opt.connections.split(',').map(Number);
const USERS = opt.users.split(',').map((u) => u.trim()) as UserMix[];
const WORKERS = opt.workers.split(',').map(Number);
const RATE = Number(opt.rate);
const LATENCY_S = Number(opt['latency-duration']);
const STORE = opt.store;
if (STORE !== 'redis' && STORE !== 'memory') throw new Error(`--store must be redis or memory`);
for (const u of USERS) if (u !== 'new' && u !== 'zipf') throw new Error(`--users: unknown mix "${u}"`);

/** The issue's targets (issue 14), each abgate vs bare measured in the same run. */
const TARGETS = {
  newUsersCpu: 1.5,
  newUsersRps: 0.7,
  zipfCpu: 1.1,
  zipfRps: 0.9,
  latencyP50Ms: 0.1,
} as const;

type UserMix = 'new' | 'zipf';
/** `base`: abgate from --baseline, reported against bare and against abgate. */
type Kind = 'bare' | 'abgate' | 'base';
const SCRIPTS: Record<UserMix, string> = {
  new: join(ROOT, 'bench/wrk/new-users.lua'),
  zipf: join(ROOT, 'bench/wrk/zipf-users.lua'),
};

interface Config {
  readonly kind: Kind;
  readonly workers: number;
  readonly name: string;
  readonly server: ServerProcess;
  readonly url: string;
  /** The process tree (primary + workers), taken once the server is up. */
  pids: number[];
}

interface Run {
  round: number;
  config: string;
  kind: Kind;
  workers: number;
  users: UserMix;
  connections: number;
  wrk: WrkResult;
  cpuUsPerReq: number;
  redisCpuUsPerReq: number | undefined;
  otherLoadPct: number | undefined;
}

interface LatencyRun {
  round: number;
  config: string;
  kind: Kind;
  workers: number;
  users: UserMix;
  result: PacedResult;
}

const log = (s = '') => console.log(s);
const fmt = (n: number | undefined, d = 0) => (n !== undefined && Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function wrk(url: string, users: UserMix, connections: number, durationS: number, seed: number) {
  return new Promise<WrkResult>((resolve, reject) => {
    execFile(
      opt.wrk,
      ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', '-s', SCRIPTS[users], url],
      { env: { ...process.env, WRK_PREFIX: `${process.pid}x${seed}`, WRK_SEED: String(seed) } },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`wrk failed: ${err.message}\n${stderr}`));
        try {
          resolve(parseWrk(stdout));
        } catch (e) {
          reject(e as Error);
        }
      },
    );
  });
}

const started: ServerProcess[] = [];
let workDir: string | undefined;
async function cleanup() {
  await Promise.all(started.splice(0).map((p) => p.stop()));
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

/** Share of the machine's CPU used by processes outside `ours` during `run`, in %. */
async function withOtherLoad<T>(ours: () => number, run: () => Promise<T>) {
  const m0 = machineCpuMs();
  const o0 = ours();
  const self0 = process.cpuUsage();
  const result = await run();
  const m1 = machineCpuMs();
  const self = process.cpuUsage(self0);
  const o = ours() - o0 + (self.user + self.system) / 1000;
  if (!m0 || !m1 || m1.totalMs <= m0.totalMs) return { result, otherLoadPct: undefined };
  // wrk's own CPU is "other" here; with -t1 it is a fraction of one core.
  return { result, otherLoadPct: (100 * Math.max(0, m1.busyMs - m0.busyMs - o)) / (m1.totalMs - m0.totalMs) };
}

async function main() {
  log(
    `abgate wrk bench — node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${new Date().toISOString()}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'abgate-wrk-'));
  workDir = dir;
  const upstream = await startUpstream();
  started.push(upstream);
  const redis = STORE === 'redis' ? await startRedis() : undefined;
  if (redis) started.push(redis);

  const configs: Config[] = [];
  for (const w of WORKERS) {
    const bare =
      w === 1
        ? await startBare(upstream.url, opt['bare-api'])
        : await startBareCluster(upstream.url, w, opt['bare-api']);
    started.push(bare);
    configs.push({
      kind: 'bare',
      workers: w,
      name: `bare×${w}`,
      server: bare,
      url: `${bare.url}/rank`,
      pids: [],
    });
    const gw = await startGateway({
      upstreamUrl: upstream.url,
      redisUrl: redis?.url,
      workDir: join(dir, `w${w}`),
      env: { ABGATE_WORKERS: String(w) },
    });
    started.push(gw);
    configs.push({
      kind: 'abgate',
      workers: w,
      name: `abgate×${w}`,
      server: gw,
      url: `${gw.url}/models/ranker/predict`,
      pids: [],
    });
    if (opt.baseline) {
      const base = await startGateway({
        root: resolve(opt.baseline),
        upstreamUrl: upstream.url,
        redisUrl: redis?.url,
        workDir: join(dir, `base-w${w}`),
        env: { ABGATE_WORKERS: String(w) },
      });
      started.push(base);
      configs.push({
        kind: 'base',
        workers: w,
        name: `base×${w}`,
        server: base,
        url: `${base.url}/models/ranker/predict`,
        pids: [],
      });
    }
  }
  log(
    `store: ${STORE}${redis ? ` (redis-server pid ${redis.pid})` : ''}; upstream: demo model server (pid ${upstream.pid});` +
      ` bare proxy: undici Pool.${opt['bare-api']}()` +
      `\nplan: ${ROUNDS} rounds × users [${USERS.join(', ')}] × connections [${CONNECTIONS.join(', ')}] × ` +
      `[${configs.map((c) => c.name).join(', ')}], wrk -t1 ${DURATION} s each, order rotated per round; ` +
      (LATENCY_S > 0
        ? `then ${RATE} req/s × ${LATENCY_S} s (paced open-loop client) per configuration and user mix`
        : 'no latency runs'),
  );

  log('warm-up…');
  let seed = 1;
  for (const c of configs) {
    await wrk(c.url, 'zipf', 32, 3, seed++);
    c.pids = processTree(c.server.pid);
  }
  for (const c of configs) log(`  ${c.name}: pids ${c.pids.join(', ')}`);
  const allPids = () => [...new Set([...started.map((s) => s.pid), ...configs.flatMap((c) => c.pids)])];

  const runs: Run[] = [];
  const latencies: LatencyRun[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const users of USERS) {
      for (const conns of CONNECTIONS) {
        const order = configs.map((_, i) => configs[(i + round - 1) % configs.length]!);
        const line: string[] = [];
        for (const c of order) {
          await sleep(200);
          const cpu0 = treeCpuMs(c.pids);
          const r0 = redis ? cpuTimeMs(redis.pid) : undefined;
          const { result, otherLoadPct } = await withOtherLoad(
            () => treeCpuMs(allPids()),
            () => wrk(c.url, users, conns, DURATION, seed++),
          );
          const n = result.requests;
          const cpu = ((treeCpuMs(c.pids) - cpu0) * 1000) / n;
          const redisCpu =
            redis && c.kind !== 'bare' && r0 !== undefined
              ? (((cpuTimeMs(redis.pid) ?? r0) - r0) * 1000) / n
              : undefined;
          runs.push({
            round,
            config: c.name,
            kind: c.kind,
            workers: c.workers,
            users,
            connections: conns,
            wrk: result,
            cpuUsPerReq: cpu,
            redisCpuUsPerReq: redisCpu,
            otherLoadPct,
          });
          line.push(
            `${c.name} ${fmt(result.rps)} req/s ${fmt(cpu)} µs` +
              (result.non2xx + result.errors > 0
                ? ` (!! ${result.non2xx} non-2xx, ${result.errors} errors)`
                : ''),
          );
        }
        const other = runs.slice(-order.length).map((r) => r.otherLoadPct ?? 0);
        log(`round ${round} ${users} c${conns}: ${line.join(' | ')}  [other load ${fmt(median(other))}%]`);
      }
      if (LATENCY_S > 0) {
        const order = configs.map((_, i) => configs[(i + round - 1) % configs.length]!);
        const line: string[] = [];
        for (const c of order) {
          await sleep(200);
          const url = new URL(c.url);
          const result = await paced(
            { url: url.origin, path: url.pathname },
            { rate: RATE, durationS: LATENCY_S, userId: userIds(users) },
          );
          latencies.push({ round, config: c.name, kind: c.kind, workers: c.workers, users, result });
          line.push(`${c.name} p50 ${fmt(result.p50Ms, 3)} p99 ${fmt(result.p99Ms, 3)} ms`);
        }
        log(`round ${round} ${users} @${RATE}/s: ${line.join(' | ')}`);
      }
    }
  }
  report(configs, runs, latencies);
}

/** User ids for the paced latency client, the same mixes as the wrk scripts. */
function userIds(users: UserMix): () => string {
  if (users === 'zipf') {
    const logN1 = Math.log(1_000_001);
    return () => `z${Math.min(1_000_000, Math.floor(Math.exp(Math.random() * logN1)))}`;
  }
  let n = 0;
  const prefix = `p${process.pid}x${Date.now()}`;
  return () => `${prefix}-${++n}`;
}

function report(configs: Config[], runs: Run[], latencies: LatencyRun[]) {
  log(
    `\nmedians over ${ROUNDS} rounds; ratio = median of the per-round ratios abgate/bare (range in brackets)`,
  );
  log(
    'workers users conns | bare req/s  abgate req/s  ratio            | bare µs/req  abgate µs/req (+redis)  ratio            | wrk p50 bare / abgate ms',
  );
  const rows: Record<string, unknown>[] = [];
  const verdicts: string[] = [];
  for (const w of WORKERS) {
    for (const users of USERS) {
      for (const conns of CONNECTIONS) {
        const sel = (kind: string) =>
          runs.filter(
            (r) => r.kind === kind && r.workers === w && r.users === users && r.connections === conns,
          );
        const bare = sel('bare');
        const gw = sel('abgate');
        const perRound = (f: (r: Run) => number) =>
          bare.map((b) => {
            const g = gw.find((x) => x.round === b.round);
            return g ? f(g) / f(b) : NaN;
          });
        const rpsRatios = perRound((r) => r.wrk.rps);
        const cpuRatios = perRound((r) => r.cpuUsPerReq);
        const range = (v: number[]) => `[${fmt(Math.min(...v), 2)}–${fmt(Math.max(...v), 2)}]`;
        const row = {
          workers: w,
          users,
          connections: conns,
          bareRps: median(bare.map((r) => r.wrk.rps)),
          abgateRps: median(gw.map((r) => r.wrk.rps)),
          rpsRatio: median(rpsRatios),
          bareCpuUs: median(bare.map((r) => r.cpuUsPerReq)),
          abgateCpuUs: median(gw.map((r) => r.cpuUsPerReq)),
          redisCpuUs: median(gw.map((r) => r.redisCpuUsPerReq ?? NaN)),
          cpuRatio: median(cpuRatios),
          bareP50Ms: median(bare.map((r) => r.wrk.p50Ms)),
          abgateP50Ms: median(gw.map((r) => r.wrk.p50Ms)),
          otherLoadPct: median(runs.map((r) => r.otherLoadPct ?? NaN)),
        };
        rows.push(row);
        log(
          `${String(w).padStart(7)} ${users.padEnd(5)} ${String(conns).padStart(5)} | ${fmt(row.bareRps).padStart(10)} ${fmt(row.abgateRps).padStart(13)}  ${fmt(row.rpsRatio, 2)} ${range(rpsRatios).padEnd(11)} |` +
            ` ${fmt(row.bareCpuUs).padStart(11)} ${fmt(row.abgateCpuUs).padStart(14)} (+${fmt(row.redisCpuUs)})`.padEnd(
              25,
            ) +
            `  ${fmt(row.cpuRatio, 2)} ${range(cpuRatios).padEnd(11)} | ${fmt(row.bareP50Ms, 3)} / ${fmt(row.abgateP50Ms, 3)}`,
        );
        const check = (what: string, v: number, ok: boolean) =>
          verdicts.push(`  ${ok ? 'MET    ' : 'NOT MET'} ${what}: ${fmt(v, 2)}`);
        if (users === 'new') {
          check(
            `×${w} new users c${conns}: CPU/req ≤ ${TARGETS.newUsersCpu}× bare`,
            row.cpuRatio,
            row.cpuRatio <= TARGETS.newUsersCpu,
          );
          check(
            `×${w} new users c${conns}: req/s ≥ ${TARGETS.newUsersRps}× bare`,
            row.rpsRatio,
            row.rpsRatio >= TARGETS.newUsersRps,
          );
        } else {
          check(
            `×${w} zipf users c${conns}: CPU/req ≤ ${TARGETS.zipfCpu}× bare`,
            row.cpuRatio,
            row.cpuRatio <= TARGETS.zipfCpu,
          );
          check(
            `×${w} zipf users c${conns}: req/s ≥ ${TARGETS.zipfRps}× bare`,
            row.rpsRatio,
            row.rpsRatio >= TARGETS.zipfRps,
          );
        }
      }
    }
  }
  if (opt.baseline) {
    log(`\nbefore/after: abgate (this build) / base (${opt.baseline}), median of the per-round ratios`);
    for (const w of WORKERS)
      for (const users of USERS)
        for (const conns of CONNECTIONS) {
          const sel = (kind: Kind) =>
            runs.filter(
              (r) => r.kind === kind && r.workers === w && r.users === users && r.connections === conns,
            );
          const base = sel('base');
          const now = sel('abgate');
          const ratio = (f: (r: Run) => number) =>
            median(base.map((b) => f(now.find((x) => x.round === b.round) ?? b) / f(b)));
          log(
            `  ×${w} ${users.padEnd(5)} c${String(conns).padEnd(3)} CPU/req ${fmt(
              ratio((r) => r.cpuUsPerReq),
              2,
            )}` +
              ` (base ${fmt(median(base.map((r) => r.cpuUsPerReq)))} µs → ${fmt(median(now.map((r) => r.cpuUsPerReq)))} µs),` +
              ` req/s ${fmt(
                ratio((r) => r.wrk.rps),
                2,
              )}; base/bare CPU ${fmt(
                median(
                  base.map((b) => {
                    const bare = runs.find(
                      (x) =>
                        x.kind === 'bare' &&
                        x.round === b.round &&
                        x.workers === w &&
                        x.users === users &&
                        x.connections === conns,
                    );
                    return bare ? b.cpuUsPerReq / bare.cpuUsPerReq : NaN;
                  }),
                ),
                2,
              )}`,
          );
        }
  }
  // Scaling: the same user mix and connections, N workers against 1.
  if (WORKERS.length > 1) {
    log('\nscaling with workers (req/s and CPU µs/req relative to 1 process of the same kind)');
    for (const w of WORKERS.filter((x) => x !== WORKERS[0])) {
      for (const r of rows.filter((x) => x.workers === w)) {
        const one = rows.find(
          (x) => x.workers === WORKERS[0] && x.users === r.users && x.connections === r.connections,
        )!;
        log(
          `  ×${w} vs ×${WORKERS[0]} ${String(r.users).padEnd(5)} c${r.connections}: bare req/s ×${fmt((r.bareRps as number) / (one.bareRps as number), 2)},` +
            ` abgate req/s ×${fmt((r.abgateRps as number) / (one.abgateRps as number), 2)}; CPU/req bare ×${fmt((r.bareCpuUs as number) / (one.bareCpuUs as number), 2)},` +
            ` abgate ×${fmt((r.abgateCpuUs as number) / (one.abgateCpuUs as number), 2)}`,
        );
      }
    }
  }
  const latRows: Record<string, unknown>[] = [];
  if (latencies.length > 0) {
    log(`\nlatency at ${RATE} req/s (paced open loop, send → last byte), medians over rounds`);
    log(
      'workers users | bare p50 / p99 ms   abgate p50 / p99 ms   added p50 / p99 ms (median per-round difference)',
    );
    for (const w of WORKERS) {
      for (const users of USERS) {
        const sel = (kind: string) =>
          latencies.filter((l) => l.kind === kind && l.workers === w && l.users === users);
        const bare = sel('bare');
        const gw = sel('abgate');
        const diff = (f: (r: PacedResult) => number) =>
          median(
            bare.map((b) => {
              const g = gw.find((x) => x.round === b.round);
              return g ? f(g.result) - f(b.result) : NaN;
            }),
          );
        const row = {
          workers: w,
          users,
          bareP50Ms: median(bare.map((l) => l.result.p50Ms)),
          bareP99Ms: median(bare.map((l) => l.result.p99Ms)),
          abgateP50Ms: median(gw.map((l) => l.result.p50Ms)),
          abgateP99Ms: median(gw.map((l) => l.result.p99Ms)),
          addedP50Ms: diff((r) => r.p50Ms),
          addedP99Ms: diff((r) => r.p99Ms),
          problems: [...bare, ...gw].reduce((s, l) => s + l.result.non2xx + l.result.errors, 0),
        };
        latRows.push(row);
        log(
          `${String(w).padStart(7)} ${users.padEnd(5)} | ${fmt(row.bareP50Ms, 3)} / ${fmt(row.bareP99Ms, 3)}       ` +
            `${fmt(row.abgateP50Ms, 3)} / ${fmt(row.abgateP99Ms, 3)}         ${fmt(row.addedP50Ms, 3)} / ${fmt(row.addedP99Ms, 3)}` +
            (row.problems > 0 ? `  (!! ${row.problems} non-2xx/errors)` : ''),
        );
        verdicts.push(
          `  ${row.addedP50Ms <= TARGETS.latencyP50Ms ? 'MET    ' : 'NOT MET'} ×${w} ${users} users @${RATE}/s: added p50 ≤ ${TARGETS.latencyP50Ms} ms: ${fmt(row.addedP50Ms, 3)}`,
        );
      }
    }
  }
  log('\ntargets (issue 14)');
  for (const v of verdicts) log(v);
  const other = median(runs.map((r) => r.otherLoadPct ?? NaN));
  log(`\nmedian other load on the machine during the wrk runs: ${fmt(other)}% (wrk itself included)`);
  mkdirSync(dirname(opt.out), { recursive: true });
  writeFileSync(
    opt.out,
    JSON.stringify(
      {
        kind: 'wrk',
        date: new Date().toISOString(),
        options: opt,
        configs: configs.map((c) => c.name),
        targets: TARGETS,
        rows,
        latency: latRows,
        runs,
        latencies,
      },
      null,
      2,
    ),
  );
  log(`results: ${opt.out}`);
}

try {
  await main();
} finally {
  await cleanup();
}
