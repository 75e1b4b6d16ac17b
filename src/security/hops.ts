// Loop detection between gateways: each proxied request carries the ids of the gateway processes it
// went through (x-abgate-via), so an upstream that points back at a gateway is caught at once.
import { randomBytes } from 'node:crypto';
import { ApiError } from '../errors/api-error.js';

export const VIA_HEADER = 'x-abgate-via';

/** Most gateway hops a request may take (an abgate in front of an abgate is 2). */
export const MAX_HOPS = 10;

/** A fresh id for one gateway process: 12 hex characters. */
export function newGatewayId(): string {
  return randomBytes(6).toString('hex');
}

function hopsOf(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const list = Array.isArray(header) ? header.join(',') : header;
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** 508 when the request already passed through `self`, or through MAX_HOPS gateways; else undefined. */
export function loopError(header: string | string[] | undefined, self: string): ApiError | undefined {
  if (header === undefined) return undefined;
  const hops = hopsOf(header);
  if (hops.includes(self)) {
    return new ApiError(
      'loop_detected',
      `this request already passed through this gateway (${VIA_HEADER}: ${hops.join(', ')}): an arm's upstream points back at the gateway`,
    );
  }
  if (hops.length >= MAX_HOPS) {
    return new ApiError(
      'loop_detected',
      `this request already passed through ${hops.length} gateways (at most ${MAX_HOPS}): an arm's upstream probably loops through another gateway`,
    );
  }
  return undefined;
}

/** The x-abgate-via value to forward: the hops so far, then `self`. */
export function withHop(header: string | string[] | undefined, self: string): string {
  if (header === undefined) return self;
  return [...hopsOf(header), self].join(', ');
}
