// One upstream exchange driven by undici's dispatch(): the answer's status and headers resolve a
// promise, and its body goes straight into the Node response, chunk by chunk, with backpressure.
//
// Why not Pool.request() + body.pipe(res): request() wraps the body in a Readable stream and its
// promise machinery, and pipe() adds listeners and stream state on both sides; for a small JSON
// answer that was ~10% of the gateway's CPU per request (`node --import tsx bench/wrk-profile.ts`).
// The semantics kept are those of pipe-response.ts: see UpstreamBody.
import type { ServerResponse } from 'node:http';
import { util, type Dispatcher } from 'undici';
import type { UpstreamBody } from './upstream-body.js';

type Abort = (err?: Error) => void;

/** Anything that emits 'abort' and carries `aborted`/`reason`: an AbortSignal or a Cancellation. */
export interface AbortSource {
  readonly aborted: boolean;
  readonly reason?: unknown;
  once(event: 'abort', listener: () => void): unknown;
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/**
 * The dispatch handler (undici's callback API) and the response body at once. `headers` resolves
 * with `this` once the final status and headers arrived, or rejects with what failed before.
 */
export class DispatchedResponse implements Dispatcher.DispatchHandler, UpstreamBody {
  statusCode = 0;
  headers: Record<string, string | string[]> = {};
  readonly body: UpstreamBody = this;
  readonly headersReceived: Promise<this>;

  private resolve!: (r: this) => void;
  private reject!: (err: Error) => void;
  private abortUpstream: Abort | undefined;
  private resumeUpstream: (() => void) | undefined;
  private started = false;
  private ended = false;
  private failure: Error | undefined;
  /** Chunks that arrived before pipeTo() or dump(); null once consumed. */
  private pending: Buffer[] | null = [];
  private sink: ServerResponse | undefined;
  private dumping: (() => void) | undefined;
  private paused = false;

  constructor(private readonly signal: AbortSource | undefined) {
    this.headersReceived = new Promise<this>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  // --- undici's side -----------------------------------------------------------------------

  onConnect(abort: Abort): void {
    this.abortUpstream = abort;
    const signal = this.signal;
    if (!signal) return;
    if (signal.aborted) abort(asError(signal.reason));
    else signal.once('abort', () => this.abort(asError(signal.reason)));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: informational, the final answer follows
    this.statusCode = statusCode;
    this.headers = util.parseHeaders(rawHeaders);
    this.resumeUpstream = resume;
    this.started = true;
    this.resolve(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    const sink = this.sink;
    if (sink !== undefined) {
      if (sink.write(chunk)) return true;
      this.paused = true;
      sink.once('drain', this.onDrain);
      return false;
    }
    if (this.dumping === undefined) this.pending?.push(chunk);
    return true;
  }

  onComplete(): void {
    this.ended = true;
    if (this.sink !== undefined) this.sink.end();
    this.dumping?.();
  }

  onError(err: Error): void {
    if (!this.started) {
      this.reject(err);
      return;
    }
    this.failure ??= err;
    const sink = this.sink;
    if (sink !== undefined && !sink.writableFinished) sink.destroy(err);
    this.dumping?.();
  }

  private readonly onDrain = () => {
    this.paused = false;
    this.resumeUpstream?.();
  };

  private abort(err: Error): void {
    if (this.ended || this.failure !== undefined) return;
    this.abortUpstream?.(err);
  }

  // --- the gateway's side (UpstreamBody) ---------------------------------------------------

  pipeTo(res: ServerResponse, done: (err?: Error) => void): void {
    if (res.destroyed) {
      // The client left between the upstream's headers and now: its 'close' has been emitted already.
      if (!this.ended) this.abort(prematureClose());
      this.pending = null;
      done(this.failure ?? prematureClose());
      return;
    }
    // A ServerResponse always emits 'close': right after 'finish', or when the connection dropped first.
    res.once('close', () => {
      if (res.writableFinished) return done();
      // The client went away first: stop the upstream exchange.
      if (!this.ended) this.abort(prematureClose());
      done(this.failure ?? prematureClose());
    });
    if (this.failure !== undefined) {
      res.destroy(this.failure);
      return;
    }
    const pending = this.pending!;
    this.pending = null;
    for (const chunk of pending) res.write(chunk);
    if (this.ended) {
      res.end();
      return;
    }
    this.sink = res;
  }

  dump(): Promise<void> {
    this.pending = null;
    if (this.ended || this.failure !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.dumping = resolve;
      if (this.paused) this.onDrain();
    });
  }
}
