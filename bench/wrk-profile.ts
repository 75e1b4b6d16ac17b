// `node --import tsx bench/wrk-profile.ts [--users new|zipf] [--store redis|memory] [--connections 32] [--duration 10]`:
// one wrk run against abgate under `node --cpu-prof`, then the summary of bench/harness/profile-summary.ts.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuTimeMs, ROOT, startGateway, startRedis, startUpstream } from './harness/processes.js';
import { formatSummary, summarizeFile } from './harness/profile-summary.js';
import { parseWrk } from './lib/wrk-output.js';

const { values: opt } = parseArgs({
  options: {
    users: { type: 'string', default: 'new' },
    store: { type: 'string', default: 'redis' },
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '10' },
    wrk: { type: 'string', default: '/usr/bin/wrk' },
  },
});
const script = join(ROOT, `bench/wrk/${opt.users === 'zipf' ? 'zipf' : 'new'}-users.lua`);
const dir = join(ROOT, 'bench/results/profiles');
mkdirSync(dir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'abgate-prof-'));
const upstream = await startUpstream();
const redis = opt.store === 'redis' ? await startRedis() : undefined;
try {
  const before = new Set(readdirSync(dir));
  const gw = await startGateway({
    upstreamUrl: upstream.url,
    redisUrl: redis?.url,
    workDir: work,
    cpuProfDir: dir,
  });
  const url = `${gw.url}/models/ranker/predict`;
  const wrk = (seconds: number) =>
    parseWrk(
      execFileSync(
        opt.wrk,
        ['-t1', `-c${opt.connections}`, `-d${seconds}s`, '--latency', '-s', script, url],
        {
          encoding: 'utf8',
        },
      ),
    );
  wrk(3);
  const cpu0 = cpuTimeMs(gw.pid)!;
  const r = wrk(Number(opt.duration));
  const cpu = ((cpuTimeMs(gw.pid)! - cpu0) * 1000) / r.requests;
  console.log(
    `${opt.users} users, ${opt.store} store, ${opt.connections} connections: ${r.rps.toFixed(0)} req/s, ` +
      `gateway CPU ${cpu.toFixed(0)} µs/req (profiler included), ${r.non2xx} non-2xx`,
  );
  await gw.stop();
  const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no profile written');
  console.log(`${join(dir, file)}\n`);
  console.log(formatSummary(summarizeFile(join(dir, file), 40, Number(opt.duration))));
} finally {
  await upstream.stop();
  await redis?.stop();
  rmSync(work, { recursive: true, force: true });
}
