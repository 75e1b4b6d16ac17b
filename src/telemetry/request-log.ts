// One wide JSON log line per request (pino): errors always, successes sampled.
import type { Logger } from 'pino';
import type { RequestRecord, RequestObserver } from './request-record.js';

export interface RequestLogOptions {
  /** Share of successful requests logged, 0–1. @default 1 */
  sampleRate?: number;
  /** Source of randomness for sampling, for tests. @default Math.random */
  random?: () => number;
}

export function requestLogger(logger: Logger, options: RequestLogOptions = {}): RequestObserver {
  const rate = options.sampleRate ?? 1;
  const random = options.random ?? Math.random;
  return (r: RequestRecord) => {
    const isError = r.status >= 500 || r.cause !== undefined;
    const isClientError = r.status >= 400 && !isError;
    if (!isError && !isClientError && (rate <= 0 || (rate < 1 && random() >= rate))) return;
    const line = {
      request_id: r.requestId,
      method: r.method,
      path: r.path,
      experiment: r.experiment,
      arm: r.arm,
      status: r.status,
      upstream_ms: r.upstreamMs === undefined ? undefined : Math.round(r.upstreamMs * 1000) / 1000,
      total_ms: Math.round(r.totalMs * 1000) / 1000,
      exposure: r.exposure,
      forced: r.forced || undefined,
      fallback: r.fallback || undefined,
      fallback_from: r.fallbackFrom,
      error_code: r.errorCode,
      err: r.cause,
    };
    if (isError) logger.error(line, 'request failed');
    else if (isClientError) logger.warn(line, 'request rejected');
    else logger.info(line, 'request');
  };
}
