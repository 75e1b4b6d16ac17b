// The one record each gateway request produces; metrics and the request log both consume it.

export interface RequestRecord {
  readonly requestId: string;
  readonly method: string;
  /** Request path, for API requests (prediction paths are identified by `experiment`). */
  readonly path?: string;
  /** Route kind: an experiment id for prediction traffic, or the API route pattern. */
  readonly experiment?: string;
  readonly arm?: string;
  readonly status: number;
  /** Time spent waiting for the upstream's response headers, in ms (prediction traffic). */
  readonly upstreamMs?: number;
  readonly totalMs: number;
  readonly exposure?: boolean;
  readonly forced?: boolean;
  readonly fallback?: boolean;
  /** With `fallback`: the arm that failed before control answered. */
  readonly fallbackFrom?: string;
  readonly errorCode?: string;
  /** The unexpected error behind a 5xx, for the log. */
  readonly cause?: unknown;
}

/** Receives each finished request. Must be cheap and must not throw. */
export type RequestObserver = (record: RequestRecord) => void;
