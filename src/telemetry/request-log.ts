// One wide JSON log line per request (pino): errors and fallbacks always, successes sampled.
import type { Logger } from 'pino';
import type { RequestRecord, RequestObserver, UpstreamAttempt } from './request-record.js';

export interface RequestLogOptions {
  /** Share of successful requests logged, 0–1. @default 1 */
  sampleRate?: number;
  /** Source of randomness for sampling, for tests. @default Math.random */
  random?: () => number;
}

function roundAttempt(a: UpstreamAttempt) {
  return { arm: a.arm, result: a.result, ms: Math.round(a.ms * 1000) / 1000 };
}

/**
 * 5xx answers that are part of normal operation, not a fault of this request: the store could not
 * take or read the data for a moment (the client is told to retry, README "Durability: Redis"). Logged at
 * warn, so an alert on error-level lines means a bug or a broken dependency.
 */
const EXPECTED_5XX = new Set(['store_unavailable']);

export function requestLogger(logger: Logger, options: RequestLogOptions = {}): RequestObserver {
  const rate = options.sampleRate ?? 1;
  const random = options.random ?? Math.random;
  return (r: RequestRecord) => {
    const isExpected = r.cause === undefined && r.errorCode !== undefined && EXPECTED_5XX.has(r.errorCode);
    const isError = (r.status >= 500 && !isExpected) || r.cause !== undefined;
    const isClientError = r.status >= 400 && r.status < 500 && !isError;
    // A fallback answered the client, but an arm failed: never sampled away.
    const isDegraded = r.fallback === true;
    if (
      !isError &&
      !isExpected &&
      !isClientError &&
      !isDegraded &&
      (r.quiet || rate <= 0 || (rate < 1 && random() >= rate))
    )
      return;
    const line = {
      request_id: r.requestId,
      method: r.method,
      path: r.path,
      route: r.route,
      experiment: r.experiment,
      arm: r.arm,
      served_by: r.servedBy,
      status: r.status,
      upstream_ms: r.upstreamMs === undefined ? undefined : Math.round(r.upstreamMs * 1000) / 1000,
      total_ms: Math.round(r.totalMs * 1000) / 1000,
      exposure: r.exposure,
      forced: r.forced || undefined,
      fallback: r.fallback || undefined,
      passthrough: r.passthrough || undefined,
      attempts: r.attempts && r.attempts.length > 1 ? r.attempts.map(roundAttempt) : undefined,
      error_code: r.errorCode,
      err: r.cause,
    };
    if (isError) logger.error(line, 'request failed');
    else if (isExpected)
      logger.warn(line, 'request refused for now: the store is unavailable, the client may retry');
    else if (isClientError) logger.warn(line, 'request rejected');
    else if (isDegraded) logger.warn(line, 'request served by control after its arm failed');
    else logger.info(line, 'request');
  };
}
