// The one record each gateway request produces; metrics and the request log both consume it.

/**
 * How one upstream attempt ended: the status class of the upstream's answer, or why there was none
 * (`timeout`: the arm's timeout_ms passed; `unavailable`: connection refused, reset, DNS…;
 * `cancelled`: the client left, or its body broke the size limit, before the upstream answered).
 */
export type AttemptResult = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'unavailable' | 'cancelled';

/** One request sent to an arm's upstream; a fallback makes two per client request. */
export interface UpstreamAttempt {
  /** The arm whose upstream was tried. */
  readonly arm: string;
  readonly result: AttemptResult;
  /** Until the upstream's response headers, or the failure. */
  readonly ms: number;
}

export interface RequestRecord {
  readonly requestId: string;
  readonly method: string;
  /** Request path, for API requests (prediction paths are identified by `experiment`). */
  readonly path?: string;
  /** API requests: the matched route pattern (e.g. `/api/v1/experiments/:id`), or `unmatched`. */
  readonly route?: string;
  /** Prediction traffic: the experiment id. */
  readonly experiment?: string;
  /** Prediction traffic: the arm the user was assigned to (and is counted in). */
  readonly arm?: string;
  /** The arm whose answer was sent, when it is not `arm` (a fallback to control). */
  readonly servedBy?: string;
  readonly status: number;
  /** Time spent waiting for upstream response headers, over all attempts, in ms. */
  readonly upstreamMs?: number;
  /** Every upstream attempt, in order (none when the request failed before reaching one). */
  readonly attempts?: readonly UpstreamAttempt[];
  readonly totalMs: number;
  readonly exposure?: boolean;
  readonly forced?: boolean;
  readonly fallback?: boolean;
  /** Not a prediction (route.predict did not match): passed to control, no unit, no exposure. */
  readonly passthrough?: boolean;
  readonly errorCode?: string;
  /** A successful probe or scrape: counted in metrics, not logged. */
  readonly quiet?: boolean;
  /** The unexpected error behind a 5xx, for the log. */
  readonly cause?: unknown;
}

/** Receives each finished request. Must be cheap and must not throw. */
export type RequestObserver = (record: RequestRecord) => void;

/** `2xx` for 204 and so on. */
export function statusClass(status: number): '1xx' | '2xx' | '3xx' | '4xx' | '5xx' {
  if (status < 200) return '1xx';
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  if (status < 500) return '4xx';
  return '5xx';
}
