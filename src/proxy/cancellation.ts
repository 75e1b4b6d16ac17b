// A per-attempt cancellation handle for upstream requests: AbortController's surface, made cheap.
import { EventEmitter } from 'node:events';

/**
 * What the proxy uses of AbortController — `abort(reason)`, `signal.aborted`, `signal.reason` —
 * built on an EventEmitter, which undici accepts as a request `signal` (it listens for 'abort').
 *
 * Why: one per upstream attempt. An AbortController plus the EventTarget listener undici adds and
 * removes costs a few µs per request (~2–3% of the gateway's CPU in `npm run bench -- --cpu-prof`);
 * this costs a fraction of a µs. Semantics are the same: abort() is idempotent, the first reason
 * wins, and without a reason it is an AbortError DOMException.
 */
export class Cancellation extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  /** The handle is its own signal, so code written for AbortController reads the same. */
  get signal(): this {
    return this;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new DOMException('This operation was aborted', 'AbortError');
    this.emit('abort');
  }
}
