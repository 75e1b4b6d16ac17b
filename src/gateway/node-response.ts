// Writing JSON answers straight to a Node response (the proxy hot path does not go through Hono).
import type { ServerResponse } from 'node:http';
import { errorBody, type ApiError } from '../errors/api-error.js';

export function sendJson(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendError(
  res: ServerResponse,
  err: ApiError,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    // Too late for a status: the client sees a cut response, which is the truth.
    res.destroy();
    return;
  }
  sendJson(res, err.status, errorBody(err, requestId), { ...headers, 'x-request-id': requestId });
}
