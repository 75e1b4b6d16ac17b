// Keep-alive connection pools, one per upstream origin (undici), created once and reused.
import type { EventEmitter } from 'node:events';
import { Pool, type Dispatcher } from 'undici';

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

export type UpstreamResponse = Pick<Dispatcher.ResponseData, 'statusCode' | 'headers' | 'body'>;

/** The narrow seam the gateway proxies through; tests and benchmarks may pass their own. */
export interface Upstreams {
  request(req: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export interface UpstreamPoolOptions {
  /** Most connections per upstream origin. @default 256 */
  connections?: number;
  /** Idle keep-alive time of a pooled connection. @default 30000 */
  keepAliveTimeoutMs?: number;
  /** Time allowed to open a connection. @default 5000 */
  connectTimeoutMs?: number;
}

export class UpstreamPools implements Upstreams {
  private readonly pools = new Map<string, Pool>();
  constructor(private readonly options: UpstreamPoolOptions = {}) {}

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.options.connections ?? 256,
        keepAliveTimeout: this.options.keepAliveTimeoutMs ?? 30_000,
        connect: { timeout: this.options.connectTimeoutMs ?? 5_000 },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  request(req: UpstreamRequest): Promise<UpstreamResponse> {
    return this.pool(req.origin).request({
      path: req.path,
      method: req.method as Dispatcher.HttpMethod,
      headers: req.headers,
      body: req.body as Dispatcher.DispatchOptions['body'],
      // The caller enforces timeoutMs precisely; undici's own timer (1 s resolution) is a backstop.
      headersTimeout: req.timeoutMs + 1_000,
      bodyTimeout: req.timeoutMs,
      signal: req.signal,
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }
}
