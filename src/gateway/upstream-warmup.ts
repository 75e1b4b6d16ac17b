// Readiness of the upstream side: a few connections per arm origin are opened at start, and /readyz
// answers 503 until they are (or a short timeout passed), so the first requests after a rollout do
// not pay for connection set-up (and a TLS handshake) on the path.
import type { Upstreams, WarmResult } from '../proxy/upstream-pools.js';

export interface WarmupOptions {
  /** Connections opened per arm origin. @default 4 */
  readonly perOrigin?: number;
  /** Longest wait: then ready anyway (an unreachable upstream must not keep the gateway unready). @default 3000 */
  readonly timeoutMs?: number;
}

export type WarmupState =
  | { readonly status: 'warming'; readonly origins: number }
  | { readonly status: 'done'; readonly origins: number; readonly opened: number; readonly failed: number }
  | { readonly status: 'timed_out'; readonly origins: number }
  | { readonly status: 'skipped' };

/** What /readyz asks: whether the warm-up still holds readiness back, and what it did. */
export interface UpstreamReadiness {
  readonly ready: boolean;
  state(): WarmupState;
}

export const ALWAYS_READY: UpstreamReadiness = { ready: true, state: () => ({ status: 'skipped' }) };

export function warmUpstreams(
  upstreams: Upstreams,
  origins: readonly string[],
  options: WarmupOptions = {},
): UpstreamReadiness {
  const distinct = [...new Set(origins)];
  if (!upstreams.warm || distinct.length === 0) return ALWAYS_READY;
  let state: WarmupState = { status: 'warming', origins: distinct.length };
  const timer = setTimeout(() => {
    if (state.status === 'warming') state = { status: 'timed_out', origins: distinct.length };
  }, options.timeoutMs ?? 3_000);
  timer.unref();
  void upstreams.warm(distinct, options.perOrigin ?? 4).then((r: WarmResult) => {
    clearTimeout(timer);
    if (state.status === 'warming') state = { status: 'done', origins: distinct.length, ...r };
  });
  return {
    get ready() {
      return state.status !== 'warming';
    },
    state: () => state,
  };
}
