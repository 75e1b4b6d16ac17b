// Request ids: kept from the client when sane, generated otherwise.
import { randomUUID } from 'node:crypto';

const SANE_ID = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

export type RequestIdGenerator = () => string;

/** @default crypto.randomUUID */
export const defaultRequestId: RequestIdGenerator = () => randomUUID();

/** The client's x-request-id when it is 1–128 safe characters; otherwise a fresh one. */
export function requestIdFrom(header: string | string[] | undefined, generate: RequestIdGenerator): string {
  const v = Array.isArray(header) ? header[0] : header;
  return v !== undefined && SANE_ID.test(v) ? v : generate();
}
