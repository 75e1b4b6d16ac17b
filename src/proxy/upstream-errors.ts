// Classifies upstream failures: which become 504, which 502, and which may fall back to control.
import { ApiError } from '../errors/api-error.js';

const TIMEOUT_CODES = new Set([
  'ABGATE_UPSTREAM_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The arm's timeout_ms elapsed before its response headers arrived. */
export class UpstreamTimeoutError extends Error {
  override readonly name = 'UpstreamTimeoutError';
  readonly code = 'ABGATE_UPSTREAM_TIMEOUT';
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A timeout of any kind: the arm's timeout_ms, or undici's connect/headers/body timeouts. */
export function isTimeout(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && TIMEOUT_CODES.has(code);
}

/** A failure before any response byte reached the client; safe to retry elsewhere. */
export function upstreamError(err: unknown, arm: string, timeoutMs: number): ApiError {
  if (isTimeout(err)) {
    return new ApiError('upstream_timeout', `arm "${arm}" did not answer within ${timeoutMs} ms`, { arm });
  }
  const code = codeOf(err) ?? (err instanceof Error ? err.message : 'unknown error');
  return new ApiError('upstream_unavailable', `arm "${arm}" could not be reached (${code})`, { arm });
}

/** Whether an arm's answer counts as a failure that `fallback: control` retries: 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500;
}
