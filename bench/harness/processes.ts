// Starting and stopping the servers under test, each in its own process, so that none of them shares
// an event loop with the load generator (which runs in the bench process).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function stopper(child: ChildProcess): (graceMs?: number) => Promise<void> {
  let stopping: Promise<void> | undefined;
  return (graceMs = 10_000) => {
    stopping ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
    return stopping;
  };
}

/** Keeps the last lines a child wrote to stderr, to explain a failed start. */
function tailStderr(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  return () => tail;
}

/** Forks a TypeScript entry (via tsx) that reports {port} over IPC once listening. */
async function forkTs(name: string, script: string, args: string[]): Promise<ServerProcess> {
  const child = fork(join(ROOT, script), args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    cwd: ROOT,
  });
  const stderr = tailStderr(child);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within 20 s\n${stderr()}`)),
      20_000,
    );
    child.once('message', (m: { port?: number }) => {
      clearTimeout(timer);
      if (typeof m.port === 'number') resolve(m.port);
      else reject(new Error(`${name}: unexpected message ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before listening\n${stderr()}`));
    });
  });
  return { name, child, pid: child.pid!, port, url: `http://127.0.0.1:${port}`, stop: stopper(child) };
}

export function startUpstream(): Promise<ServerProcess> {
  return forkTs('upstream', 'bench/harness/upstream-process.ts', []);
}

export function startBare(upstreamUrl: string, api = 'request'): Promise<ServerProcess> {
  return forkTs('bare', 'bench/bare-proxy.ts', ['--upstream', upstreamUrl, '--port', '0', '--api', api]);
}

/** The bare proxy in `processes` cluster workers on one port (the reference for `--workers N`). */
export async function startBareCluster(
  upstreamUrl: string,
  processes: number,
  api = 'request',
): Promise<ServerProcess> {
  const args = ['--upstream', upstreamUrl, '--port', String(await freePort()), '--api', api];
  return forkTs(`bare×${processes}`, 'bench/bare-cluster.ts', [...args, '--processes', String(processes)]);
}

/** Polls `url` until it answers 200. */
async function waitForHttp(url: string, child: ChildProcess, stderr: () => string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process exited with code ${child.exitCode}\n${stderr()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer 200 within ${timeoutMs} ms\n${stderr()}`);
    await sleep(100);
  }
}

export interface GatewayOptions {
  readonly upstreamUrl: string;
  readonly redisUrl?: string | undefined;
  /** Folder for the generated experiment file and the journal. */
  readonly workDir: string;
  /** ABGATE_LOG_SAMPLE_RATE (the gateway default is 1: every request logged). */
  readonly logSampleRate?: number | undefined;
  /** Write a V8 CPU profile of the gateway into this folder (node --cpu-prof). */
  readonly cpuProfDir?: string | undefined;
  /** Where bin/abgate.js and dist/ live (another build, for before/after runs). @default the repo */
  readonly root?: string | undefined;
  /** Extra environment variables for the gateway (applied last). */
  readonly env?: Readonly<Record<string, string>> | undefined;
}

/**
 * The shipped ranker-v2 experiment with both arms pointed at the one benchmark upstream
 * (same path /rank), so every configuration is served by the same single upstream process.
 */
function writeExperiment(dir: string, upstreamUrl: string): void {
  const doc = parseYaml(readFileSync(join(ROOT, 'experiments/ranker-v2.yaml'), 'utf8')) as {
    arms: { upstream: string }[];
  };
  for (const arm of doc.arms) arm.upstream = `${upstreamUrl}/rank`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ranker-v2.yaml'), stringifyYaml(doc));
}

/** The real gateway: `node bin/abgate.js serve` from the built dist/, as a separate process. */
export async function startGateway(opts: GatewayOptions): Promise<ServerProcess> {
  const experimentsDir = join(opts.workDir, 'experiments');
  writeExperiment(experimentsDir, opts.upstreamUrl);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    ABGATE_HOST: '127.0.0.1',
    ABGATE_EXPERIMENTS: experimentsDir,
    ABGATE_JOURNAL_DIR: join(opts.workDir, 'journal'),
    ABGATE_LOG_LEVEL: 'info',
    ABGATE_WORKERS: '1',
  };
  delete env.REDIS_URL;
  if (opts.redisUrl) env.REDIS_URL = opts.redisUrl;
  if (opts.logSampleRate !== undefined) env.ABGATE_LOG_SAMPLE_RATE = String(opts.logSampleRate);
  Object.assign(env, opts.env);
  const nodeArgs = opts.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir] : [];
  // stdout (the request log) goes to /dev/null: the gateway still formats every line.
  const child = spawn(process.execPath, [...nodeArgs, join(opts.root ?? ROOT, 'bin/abgate.js'), 'serve'], {
    env,
    cwd: opts.workDir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = tailStderr(child);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, child, stderr);
  return { name: 'abgate', child, pid: child.pid!, port, url, stop: stopper(child) };
}

async function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.setTimeout(500);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => {
      sock.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

/** A throwaway redis-server on a free port: no persistence, nothing written to disk. */
export async function startRedis(): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const stderr = tailStderr(child);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve());
  });
  await spawned;
  const deadline = Date.now() + 10_000;
  while (!(await redisPing(port))) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with code ${child.exitCode}\n${stderr()}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING within 10 s\n${stderr()}`);
    await sleep(50);
  }
  return {
    name: 'redis',
    child,
    pid: child.pid!,
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: stopper(child),
  };
}

/**
 * Whether the built gateway has the Redis event store (it is being written concurrently).
 * Checks the compiled module in dist/ with a dynamic import, as the gateway will load it.
 */
export async function redisStoreAvailable(): Promise<{ ok: boolean; reason?: string }> {
  const path = join(ROOT, 'dist/store/redis/redis-event-store.js');
  if (!existsSync(path))
    return { ok: false, reason: `${path} does not exist (RedisEventStore not built yet)` };
  try {
    const mod = (await import(pathToFileURL(path).href)) as { RedisEventStore?: unknown };
    if (typeof mod.RedisEventStore !== 'function')
      return { ok: false, reason: `${path} exports no RedisEventStore` };
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `importing ${path} failed: ${(err as Error).message}` };
  }
}

/** Resident set size of a process in bytes (Linux /proc/<pid>/status VmRSS), or undefined. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat; undefined off Linux. */
export function cpuTimeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces); utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** `pid` and all its descendants (cluster workers), from /proc/<pid>/stat parent ids; Linux only. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [pid];
  }
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** CPU time (ms) used so far by every process in `pids` (a process tree taken once, before the run). */
export function treeCpuMs(pids: readonly number[]): number {
  let ms = 0;
  for (const p of pids) ms += cpuTimeMs(p) ?? 0;
  return ms;
}

/** USER_HZ: 100 on every mainstream Linux build. */
const CLOCK_TICKS = 100;

/** Busy and total CPU time of the whole machine so far, in ms (Linux /proc/stat); undefined elsewhere. */
export function machineCpuMs(): { busyMs: number; totalMs: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    const t = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = t.reduce((a, b) => a + b, 0);
    const idle = (t[3] ?? 0) + (t[4] ?? 0);
    return { busyMs: ((total - idle) * 1000) / CLOCK_TICKS, totalMs: (total * 1000) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}
