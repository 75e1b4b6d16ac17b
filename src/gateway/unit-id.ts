// Reads the unit (user) id of a request from where its experiment says it lives.
import type { IncomingHttpHeaders } from 'node:http';
import { parse as parseCookies } from 'hono/utils/cookie';
import type { UnitSource } from '../config/experiment-schema.js';

/** Longest unit id accepted; longer ids are treated as absent rather than hashed. */
export const MAX_UNIT_ID_LENGTH = 256;

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** `query` is the raw query string without "?" (may be empty). Returns undefined when absent or empty. */
export function readUnitId(
  unit: UnitSource,
  headers: IncomingHttpHeaders,
  query: string,
): string | undefined {
  let id: string | undefined;
  if ('header' in unit) {
    id = firstValue(headers[unit.header])?.trim();
  } else if ('cookie' in unit) {
    const cookie = headers.cookie;
    id = cookie ? parseCookies(cookie, unit.cookie)[unit.cookie] : undefined;
  } else if (query !== '') {
    id = new URLSearchParams(query).get(unit.query) ?? undefined;
  }
  if (id === undefined || id === '' || id.length > MAX_UNIT_ID_LENGTH) return undefined;
  return id;
}

/** Where the unit id was expected, for error messages. */
export function describeUnit(unit: UnitSource): string {
  if ('header' in unit) return `header "${unit.header}"`;
  if ('cookie' in unit) return `cookie "${unit.cookie}"`;
  return `query parameter "${unit.query}"`;
}
