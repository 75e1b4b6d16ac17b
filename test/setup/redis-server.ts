// Starts and controls a real redis-server child process (own port, own temp dir) for tests and benchmarks.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_MISSING_MESSAGE =
  'redis-server is not installed: run `apt-get update && apt-get install -y redis-server` (or set REDIS_URL to a server to use)';

/** True when `redis-server` can be run from PATH. */
export function redisServerAvailable(): boolean {
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

export interface RedisServerOptions {
  /** Turn on the append-only file, fsynced on every write, so `kill()` + `restart()` keeps the data. @default false */
  readonly appendOnly?: boolean;
  /** Longest wait for the server to answer PING. @default 10000 */
  readonly startTimeoutMs?: number;
  /** More redis-server arguments, e.g. ['--replicaof', '127.0.0.1', '6379']. */
  readonly args?: readonly string[];
}

/** Every server started and not yet disposed: killed if the process exits without cleaning up. */
const live = new Set<RedisServer>();
process.once('exit', () => {
  for (const server of live) server.killSync();
});

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** One PING over a raw socket: true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A redis-server on 127.0.0.1:<free port> with data in a temp dir. `stop()`/`kill()` end the process and
 * keep the dir, `restart()` brings it back on the same port and dir, `dispose()` ends it and removes the dir.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  /** Starts a server and waits until it answers PING. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    if (!redisServerAvailable()) throw new Error(REDIS_MISSING_MESSAGE);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'abgate-redis-')), options);
      try {
        await server.launch();
        return server;
      } catch (err) {
        lastError = err;
        await server.dispose();
      }
    }
    throw lastError;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Graceful stop (SIGTERM); the data dir stays. */
  async stop(): Promise<void> {
    await this.end('SIGTERM');
  }

  /** Abrupt stop (SIGKILL), as in a crash; the data dir stays. */
  async kill(): Promise<void> {
    await this.end('SIGKILL');
  }

  /** Suspends the process (SIGSTOP): connections stay open, nothing is answered. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Resumes a frozen process (SIGCONT). */
  thaw(): void {
    this.child?.kill('SIGCONT');
  }

  /** Starts the server again on the same port and dir (stopping it first if it runs). */
  async restart(): Promise<void> {
    if (this.child) await this.stop();
    await this.launch();
  }

  /** Stops the server and removes its dir. Safe to call more than once. */
  async dispose(): Promise<void> {
    if (this.child) await this.end('SIGKILL');
    live.delete(this);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous last-resort kill, for process exit. */
  killSync(): void {
    try {
      this.child?.kill('SIGKILL');
    } catch {
      // already gone
    }
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir];
    args.push('--logfile', join(this.dir, 'redis.log'), '--daemonize', 'no');
    if (this.options.appendOnly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
    args.push(...(this.options.args ?? []));
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    live.add(this);
    let exitedEarly = false;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        exitedEarly = true;
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 10_000);
    while (Date.now() < deadline) {
      if (exitedEarly) throw new Error(`redis-server on port ${this.port} exited:\n${this.logTail()}`);
      if (await ping(this.port)) return;
      await sleep(20);
    }
    await this.end('SIGKILL');
    throw new Error(`redis-server on port ${this.port} did not answer PING:\n${this.logTail()}`);
  }

  private async end(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGCONT'); // a frozen process would not act on SIGTERM
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  private logTail(): string {
    try {
      return readFileSync(join(this.dir, 'redis.log'), 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '(no log)';
    }
  }
}
