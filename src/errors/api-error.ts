// The one HTTP error type: a closed set of codes, each with its status, rendered one way.

export type ApiErrorCode =
  | 'bad_request'
  | 'invalid_json'
  | 'validation_failed'
  | 'missing_unit'
  | 'ambiguous_unit'
  | 'bad_path'
  | 'unknown_arm'
  | 'unauthorized'
  | 'forced_arm_forbidden'
  | 'forbidden'
  | 'not_found'
  | 'experiment_not_found'
  | 'experiment_not_running'
  | 'invalid_transition'
  | 'route_conflict'
  | 'version_mismatch'
  | 'method_not_allowed'
  | 'request_timeout'
  | 'payload_too_large'
  | 'headers_too_large'
  | 'unsupported_media_type'
  | 'internal_error'
  | 'upstream_unavailable'
  | 'store_unavailable'
  | 'upstream_timeout'
  | 'http_version_not_supported'
  | 'loop_detected';

/** HTTP status of every code; exhaustive, so a new code cannot ship without one. */
export function statusOf(
  code: ApiErrorCode,
): 400 | 401 | 403 | 404 | 405 | 408 | 409 | 412 | 413 | 415 | 431 | 500 | 502 | 503 | 504 | 505 | 508 {
  switch (code) {
    case 'bad_request':
    case 'invalid_json':
    case 'validation_failed':
    case 'missing_unit':
    case 'ambiguous_unit':
    case 'bad_path':
    case 'unknown_arm':
      return 400;
    case 'unauthorized':
      return 401;
    case 'forced_arm_forbidden':
    case 'forbidden':
      return 403;
    case 'not_found':
    case 'experiment_not_found':
      return 404;
    case 'method_not_allowed':
      return 405;
    case 'request_timeout':
      return 408;
    case 'experiment_not_running':
    case 'invalid_transition':
    case 'route_conflict':
      return 409;
    case 'version_mismatch':
      return 412;
    case 'payload_too_large':
      return 413;
    case 'headers_too_large':
      return 431;
    case 'unsupported_media_type':
      return 415;
    case 'internal_error':
      return 500;
    case 'upstream_unavailable':
      return 502;
    case 'store_unavailable':
      return 503;
    case 'upstream_timeout':
      return 504;
    case 'http_version_not_supported':
      return 505;
    case 'loop_detected':
      return 508;
  }
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: ReturnType<typeof statusOf>;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Extra fields for the error body (e.g. `issues`, `arm`). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.status = statusOf(code);
  }
}

export interface ErrorBody {
  error: { code: ApiErrorCode; message: string; request_id: string } & Record<string, unknown>;
}

export function errorBody(err: ApiError, requestId: string): ErrorBody {
  return { error: { code: err.code, message: err.message, request_id: requestId, ...err.details } };
}

/** Any thrown value as an ApiError; unknown errors become a 500 that hides internals. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('internal_error', 'internal error; see the gateway log for this request id');
}
