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

export function requestLogger(logger: Logger, options: RequestLogOptions = {}): RequestObserver {
  const rate = options.sampleRate ?? 1;
  const random = options.random ?? Math.random;
  return (r: RequestRecord) => {
    const isError = r.status >= 500 || r.cause !== undefined;
    const isClientError = r.status >= 400 && !isError;
    // A fallback answered the client, but an arm failed: never sampled away.
    const isDegraded = r.fallback === true;
    if (!isError && !isClientError && !isDegraded && (r.quiet || rate <= 0 || (rate < 1 && random() >= rate)))
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
    else if (isClientError) logger.warn(line, 'request rejected');
    else if (isDegraded) logger.warn(line, 'request served by control after its arm failed');
    else logger.info(line, 'request');
  };
}
