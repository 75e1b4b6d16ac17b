// A gateway as its own process (`abgate serve` from source), for tests about processes: several
// gateways, SIGTERM under load, SIGKILL of the gateway or of one of its `--workers`, restarts on the
// same journal folder. The child leads its own process group, so a SIGKILL takes its workers with it.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request, type Dispatcher } from 'undici';
import { spawnCli } from './cli.js';

export interface GatewayProcessOptions {
  /** Experiments folder. */
  readonly dir: string;
  /** REDIS_URL (the server may be down at start: the gateway starts and journals). */
  readonly redis: string;
  /** ABGATE_JOURNAL_DIR; a new temp folder when omitted. Pass the old one to restart "the same" gateway. */
  readonly journalDir?: string;
  /** `--workers N`. @default 1 */
  readonly workers?: number;
  /** @default 0 (any free port; every worker gets the same one) */
  readonly port?: number;
  readonly env?: Record<string, string>;
  /** Sent as `Authorization: Bearer` by `get` and `call`. */
  readonly token?: string;
  /** Longest wait for the gateway to be ready. @default 30000 */
  readonly startTimeoutMs?: number;
}

/** The parts of /readyz the tests read. */
export interface ReadyBody {
  pid: number;
  store: { connected: boolean; queueDepth: number; replayedEvents: number; journalFailing: boolean };
}

export interface CallResult {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, unknown>;
}

export interface GatewayProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly journalDir: string;
  /** Everything the process (and its workers) printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (null when ended by a signal) once the process is gone. */
  readonly exited: Promise<number | null>;
  /** SIGTERM to the gateway (a primary relays it to its workers), then the exit code; SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<number | null>;
  /** SIGKILL to the whole process group (the gateway and every worker); resolves once the gateway is gone. */
  kill(): Promise<void>;
  /** Pids of the workers serving now (`--workers`), from their "listening" lines; waits for `count` of them. */
  workerPids(count: number, timeoutMs?: number): Promise<number[]>;
  /** GET /readyz on a new connection (under `--workers`, any worker may answer). */
  readyz<T = ReadyBody>(): Promise<T>;
  get<T>(path: string, headers?: Record<string, string>): Promise<T>;
  call(
    method: Dispatcher.HttpMethod,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<CallResult>;
}

/** Every gateway started and not yet gone: killed (whole group) if the test process exits first. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface LogLine {
  pid?: number;
  msg?: string;
  port?: number;
  worker?: number;
}

function logLines(out: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of out.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // a line still being written
    }
  }
  return lines;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const journalDir = options.journalDir ?? (await mkdtemp(join(tmpdir(), 'abgate-journal-')));
  const workers = options.workers ?? 1;
  const args = ['serve', '--port', String(options.port ?? 0), '--host', '127.0.0.1'];
  args.push('--experiments', options.dir, '--redis', options.redis);
  if (workers > 1) args.push('--workers', String(workers));
  const child = spawnCli(args, { ABGATE_JOURNAL_DIR: journalDir, ...options.env }, { detached: true });
  live.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );

  const listeningPids = () =>
    logLines(out)
      .filter((l) => l.msg?.startsWith('abgate listening') && l.pid !== undefined)
      .map((l) => ({ pid: l.pid!, port: l.port! }));
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (listeningPids().length < workers) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new Error(`gateway did not start:\n${out}`);
    }
    await sleep(20);
  }
  const port = listeningPids()[0]!.port;
  const url = `http://127.0.0.1:${port}`;
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const call: GatewayProcess['call'] = async (method, path, body, headers = {}) => {
    const res = await request(`${url}${path}`, {
      method,
      headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      headers: res.headers,
    };
  };
  // Ready means /readyz answers (on a fresh connection, so any worker may take it).
  while ((await readyz(url)) !== 200) {
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new Error(`gateway never answered /readyz:\n${out}`);
    }
    await sleep(20);
  }

  return {
    url,
    port,
    child,
    journalDir,
    exited,
    output: () => out,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      // Only the gateway: a primary relays SIGTERM to its workers (a second one would end them at once).
      child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      killGroup(child, 'SIGKILL');
      await exited;
      // Workers are gone with the group; wait until the kernel says so, the journal lock depends on it.
      const pids = listeningPids().map((l) => l.pid);
      while (pids.some(isAlive)) await sleep(10);
    },
    async workerPids(count, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const died = new Set(
          logLines(out)
            .filter((l) => l.msg?.startsWith('worker died') && l.worker !== undefined)
            .map((l) => l.worker!),
        );
        const pids = [...new Set(listeningPids().map((l) => l.pid))].filter(
          (pid) => pid !== child.pid && !died.has(pid) && isAlive(pid),
        );
        if (pids.length >= count) return pids;
        if (Date.now() > until) throw new Error(`expected ${count} workers, saw ${pids.join(', ')}:\n${out}`);
        await sleep(20);
      }
    },
    async readyz<T>() {
      const agent = new Agent();
      try {
        const res = await request(`${url}/readyz`, { dispatcher: agent });
        return (await res.body.json()) as T;
      } finally {
        await agent.close();
      }
    },
    async get<T>(path: string, headers: Record<string, string> = {}) {
      const r = await call('GET', path, undefined, headers);
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as T;
    },
    call,
  };
}

async function readyz(url: string): Promise<number> {
  const agent = new Agent();
  try {
    const res = await request(`${url}/readyz`, { dispatcher: agent });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 0;
  } finally {
    await agent.close();
  }
}

/** Polls `read` until `accept` holds; resolves with the time it took. Rejects after `timeoutMs`. */
export async function waitFor<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<number> {
  const start = Date.now();
  let last: T | undefined;
  while (Date.now() - start < timeoutMs) {
    last = await read();
    if (accept(last)) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
}
