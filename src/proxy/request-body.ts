// Request bodies for proxying: streamed with a size cap, or buffered (bounded) when a retry may replay them.
import type { IncomingMessage } from 'node:http';
import { ApiError } from '../errors/api-error.js';

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

export function tooLarge(maxBytes: number): ApiError {
  return new ApiError('payload_too_large', `request body exceeds the limit of ${maxBytes} bytes`);
}

/** True when the request carries no body at all (no length, not chunked). */
export function hasNoBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len === undefined || len === '0') && req.headers['transfer-encoding'] === undefined;
}

/** Declared Content-Length, or undefined when absent/invalid. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const len = req.headers['content-length'];
  if (len === undefined) return undefined;
  const n = Number(len);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Passes chunks through and throws BodyTooLargeError once more than `maxBytes` went by. */
export async function* capped(source: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of source) {
    seen += chunk.length;
    if (seen > maxBytes) throw new BodyTooLargeError();
    yield chunk;
  }
}

/** Reads the whole body into memory; throws BodyTooLargeError past `maxBytes`. */
export async function readBounded(source: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of capped(source, maxBytes)) chunks.push(chunk);
  return Buffer.concat(chunks);
}
