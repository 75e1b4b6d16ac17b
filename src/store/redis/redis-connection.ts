// The store's use of one Redis client: scripts loaded per connect, timeouts, health pings, forced reconnects.
import { toError } from '../journal/to-error.js';
import type { LuaScript } from './lua-scripts.js';
import type { PipelineReply, RedisArg, RedisClientLike } from './redis-client.js';
import { TimeoutError, withTimeout } from './with-timeout.js';

export interface RedisConnectionOptions {
  readonly client: RedisClientLike;
  /** Quit the client on close (it was created for the store). */
  readonly ownsClient: boolean;
  /** Loaded with SCRIPT LOAD whenever the client becomes ready. */
  readonly scripts: readonly LuaScript[];
  /** A command or pipeline not answered within this is a lost server. */
  readonly commandTimeoutMs: number;
  /** Idle PING period; 0 turns health pings off. */
  readonly healthCheckIntervalMs: number;
  /** Called when the connection becomes usable (connected, scripts loaded). */
  readonly onReady: () => void;
  /** Called when the connection stops being usable. */
  readonly onDown: () => void;
  readonly onError: (error: Error) => void;
}

const SCRIPT_RETRY_MS = 500;

export class RedisConnection {
  private scriptsLoaded = false;
  /** A connection attempt failed or the connection dropped since the last time it was usable. */
  private failed = false;
  private closed = false;
  private busy = 0;
  private epoch = 0;
  private readonly health: NodeJS.Timeout | undefined;

  constructor(private readonly options: RedisConnectionOptions) {
    const { client } = options;
    client.on('ready', () => this.handleReady());
    client.on('close', () => this.handleDown());
    client.on('error', (err) => {
      this.failed = true;
      options.onError(toError(err));
    });
    if (client.status === 'ready') this.handleReady();
    if (options.healthCheckIntervalMs > 0) {
      this.health = setInterval(() => this.checkHealth(), options.healthCheckIntervalMs);
      this.health.unref();
    }
  }

  /** Connected, with scripts loaded. */
  get ready(): boolean {
    return !this.closed && this.scriptsLoaded && this.options.client.status === 'ready';
  }

  /** Known to be unreachable (not merely still connecting for the first time), or closed. */
  get down(): boolean {
    return this.closed || (!this.ready && this.failed);
  }

  /** Sends commands as one pipeline. Rejects if the pipeline fails or times out (then reconnects). */
  async exec(commands: RedisArg[][]): Promise<PipelineReply[]> {
    const replies = await this.guard(this.options.client.pipeline(commands).exec(), 'a pipeline');
    if (!replies) throw new Error('Redis returned no replies to a pipeline');
    return replies;
  }

  /** Sends one command. Rejects on error or timeout (then reconnects). */
  call(command: string, ...args: RedisArg[]): Promise<unknown> {
    return this.guard(this.options.client.call(command, ...args), command);
  }

  /** Drops the connection and dials again: used when the server stopped answering. */
  reconnect(): void {
    if (this.closed) return;
    this.handleDown();
    this.options.client.disconnect(true);
  }

  /** Reloads scripts (after NOSCRIPT) and calls onReady once done. */
  reloadScripts(): void {
    this.scriptsLoaded = false;
    this.handleReady();
  }

  /** Stops health pings; quits the client if the connection owns it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.health);
    if (!this.options.ownsClient) return;
    try {
      await withTimeout(this.options.client.quit(), this.options.commandTimeoutMs, 'QUIT');
    } catch {
      this.options.client.disconnect();
    }
  }

  private async guard<T>(promise: Promise<T>, what: string): Promise<T> {
    this.busy += 1;
    try {
      return await withTimeout(promise, this.options.commandTimeoutMs, what);
    } catch (err) {
      if (err instanceof TimeoutError) this.reconnect();
      throw err;
    } finally {
      this.busy -= 1;
    }
  }

  private handleDown(): void {
    this.epoch += 1;
    this.scriptsLoaded = false;
    this.failed = true;
    this.options.onDown();
  }

  private handleReady(): void {
    if (this.closed) return;
    const epoch = ++this.epoch;
    const commands = this.options.scripts.map((s) => ['script', 'load', s.source]);
    void this.guard(this.options.client.pipeline(commands).exec(), 'SCRIPT LOAD')
      .then((replies) => {
        if (epoch !== this.epoch) return;
        this.options.scripts.forEach((s, i) => {
          const [err, sha] = replies?.[i] ?? [new Error('no reply'), undefined];
          if (err) throw err;
          if (String(sha) !== s.sha)
            throw new Error(`SCRIPT LOAD of ${s.name} returned ${String(sha)}, expected ${s.sha}`);
        });
        this.scriptsLoaded = true;
        this.failed = false;
        this.options.onReady();
      })
      .catch((err: unknown) => {
        this.options.onError(toError(err));
        if (epoch !== this.epoch || this.closed) return;
        setTimeout(() => {
          if (epoch === this.epoch && this.options.client.status === 'ready') this.handleReady();
        }, SCRIPT_RETRY_MS).unref();
      });
  }

  private checkHealth(): void {
    if (!this.ready || this.busy > 0) return;
    this.call('PING').catch((err: unknown) => this.options.onError(toError(err)));
  }
}
