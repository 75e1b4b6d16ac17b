// Request-level refusals before any routing: what an HTTP/1.1 gateway must not pass on, and JSON
// answers for requests Node refuses itself (parse errors, timeouts), written straight to the socket.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ApiError, errorBody } from '../errors/api-error.js';
import { isUnsafePath } from './unsafe-path.js';

/** Methods never proxied: TRACE/TRACK echo the request (cookies, tokens) back, CONNECT opens a tunnel. */
export const REFUSED_METHODS: ReadonlySet<string> = new Set(['TRACE', 'TRACK', 'CONNECT']);

/** What a proxied route allows, for the Allow header of its 405. */
export const PROXY_ALLOW = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

function hostHeaders(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') n++;
  }
  return n;
}

/** Why `req` (with `path`, its URL path) must be refused before routing, or undefined. */
export function requestRefusal(req: IncomingMessage, path: string): ApiError | undefined {
  if (req.httpVersionMajor !== 1) {
    return new ApiError(
      'http_version_not_supported',
      `HTTP/${req.httpVersion} is not supported; use HTTP/1.1 or HTTP/1.0`,
    );
  }
  if (hostHeaders(req.rawHeaders) > 1) return new ApiError('bad_request', 'more than one Host header');
  if (isUnsafePath(path)) {
    return new ApiError(
      'bad_path',
      'path must not contain "." or ".." segments or backslashes, raw or percent-encoded',
    );
  }
  return undefined;
}

/** The JSON error for a request Node's parser or timers refused (a 'clientError'). */
export function clientErrorFor(
  code: string | undefined,
  timeouts: { readonly headersMs: number; readonly requestMs: number },
): ApiError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new ApiError('headers_too_large', 'request headers are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ApiError(
        'request_timeout',
        `the request did not arrive in time: headers are allowed ${timeouts.headersMs} ms and the whole request ${timeouts.requestMs} ms (ABGATE_REQUEST_TIMEOUT_MS)`,
      );
    case 'HPE_INVALID_VERSION':
      return new ApiError('http_version_not_supported', 'only HTTP/1.1 and HTTP/1.0 are supported');
    default:
      return new ApiError('bad_request', `malformed HTTP request (${code ?? 'parse error'})`);
  }
}

/** Ends `socket` with a complete HTTP/1.1 JSON error response and `connection: close`. */
export function endWithError(
  socket: Duplex,
  err: ApiError,
  requestId: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const body = JSON.stringify(errorBody(err, requestId));
  const lines = [
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    'connection: close',
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
