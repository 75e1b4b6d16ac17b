// Keep-alive connection pools, one per upstream origin (undici), created once and reused.
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { buildConnector, Pool, type Dispatcher } from 'undici';
import { DispatchedResponse, type AbortSource } from './dispatched-response.js';
import type { UpstreamBody } from './upstream-body.js';

export interface UpstreamRequest {
  readonly origin: string;
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string | string[]>;
  readonly body?: Buffer | AsyncIterable<Buffer> | NodeJS.ReadableStream | null;
  /** Time allowed until the upstream's response headers, and between body chunks. */
  readonly timeoutMs: number;
  /** Cancels the request when it emits 'abort' (an AbortSignal, or an EventEmitter as undici allows). */
  readonly signal?: AbortSignal | EventEmitter;
}

export interface UpstreamResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: UpstreamBody;
}

/** The narrow seam the gateway proxies through; tests and benchmarks may pass their own. */
export interface Upstreams {
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
  /**
   * Opens `perOrigin` connections to each origin ahead of traffic, kept for the first requests.
   * Resolves once every attempt connected or failed; never rejects (a failed one is simply not kept).
   */
  warm?(origins: readonly string[], perOrigin: number): Promise<WarmResult>;
}

export interface WarmResult {
  readonly opened: number;
  readonly failed: number;
}

export interface UpstreamPoolOptions {
  /** Most connections per upstream origin. @default 256 */
  connections?: number;
  /** Idle keep-alive time of a pooled connection. @default 30000 */
  keepAliveTimeoutMs?: number;
  /** Time allowed to open a connection. @default 5000 */
  connectTimeoutMs?: number;
}

/** undici's connector arguments for an origin, as its Client passes them. */
function connectOptions(origin: string): buildConnector.Options {
  const url = new URL(origin);
  return {
    host: url.host,
    // An IPv6 literal without its brackets, as undici's Client strips them.
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    protocol: url.protocol,
    port: url.port,
  };
}

const ignoreError = () => {};

/**
 * Sockets opened ahead of traffic for one origin, handed to the pool's connector first: the first
 * requests after start find a connection (and a finished TLS handshake) instead of opening one.
 */
class WarmSockets {
  private readonly idle = new Set<Socket>();
  private closed = false;

  constructor(private readonly connector: buildConnector.connector) {}

  /** The connector given to the pool: a warm socket when one is still open, else a new connection. */
  readonly connect: buildConnector.connector = (opts, callback) => {
    for (const socket of this.idle) {
      this.take(socket);
      if (!socket.destroyed && socket.readyState === 'open') {
        process.nextTick(callback, null, socket);
        return;
      }
    }
    this.connector(opts, callback);
  };

  open(origin: string): Promise<boolean> {
    return new Promise((resolve) => {
      this.connector(connectOptions(origin), (err, socket) => {
        if (err || !socket) return resolve(false);
        if (this.closed) {
          // The pools closed while this one was connecting.
          socket.destroy();
          return resolve(false);
        }
        // Until the pool takes it: an idle socket that fails or closes is just dropped.
        socket.on('error', ignoreError);
        socket.once('close', () => this.idle.delete(socket));
        this.idle.add(socket);
        resolve(true);
      });
    });
  }

  private take(socket: Socket): void {
    this.idle.delete(socket);
    socket.off('error', ignoreError);
    socket.removeAllListeners('close');
  }

  destroy(): void {
    this.closed = true;
    for (const socket of this.idle) socket.destroy();
    this.idle.clear();
  }
}

export class UpstreamPools implements Upstreams {
  private readonly pools = new Map<string, { pool: Pool; warm: WarmSockets }>();
  constructor(private readonly options: UpstreamPoolOptions = {}) {}

  private entry(origin: string): { pool: Pool; warm: WarmSockets } {
    let entry = this.pools.get(origin);
    if (!entry) {
      const warm = new WarmSockets(buildConnector({ timeout: this.options.connectTimeoutMs ?? 5_000 }));
      const pool = new Pool(origin, {
        connections: this.options.connections ?? 256,
        keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 30_000,
        connect: warm.connect,
      });
      entry = { pool, warm };
      this.pools.set(origin, entry);
    }
    return entry;
  }

  private pool(origin: string): Pool {
    return this.entry(origin).pool;
  }

  async warm(origins: readonly string[], perOrigin: number): Promise<WarmResult> {
    const attempts: Promise<boolean>[] = [];
    for (const origin of new Set(origins)) {
      const { warm } = this.entry(origin);
      for (let i = 0; i < perOrigin; i++) attempts.push(warm.open(origin));
    }
    const results = await Promise.all(attempts);
    const opened = results.filter(Boolean).length;
    return { opened, failed: results.length - opened };
  }

  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    // dispatch(), not request(): the body goes straight into the client's response (dispatched-response.ts).
    const exchange = new DispatchedResponse(req.signal as AbortSource | undefined);
    this.pool(req.origin).dispatch(
      {
        path: req.path,
        method: req.method as Dispatcher.HttpMethod,
        headers: req.headers,
        body: req.body as Dispatcher.DispatchOptions['body'],
        // The caller enforces timeoutMs precisely; undici's own timer (1 s resolution) is a backstop.
        headersTimeout: req.timeoutMs + 1_000,
        bodyTimeout: req.timeoutMs,
      },
      exchange,
    );
    return exchange.headersReceived;
  }

  async close(): Promise<void> {
    const entries = [...this.pools.values()];
    this.pools.clear();
    for (const { warm } of entries) warm.destroy();
    await Promise.all(entries.map(({ pool }) => pool.close()));
  }
}
