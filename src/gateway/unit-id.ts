// Reads the unit (user) id of a request from where its experiment says it lives.
import type { IncomingMessage } from 'node:http';
import { parse as parseCookies } from 'hono/utils/cookie';
import type { UnitSource } from '../config/experiment-schema.js';
import { ApiError } from '../errors/api-error.js';

/** Longest unit id accepted; longer ids are treated as absent rather than hashed. */
export const MAX_UNIT_ID_LENGTH = 256;

const NON_ASCII = /[\u0080-\uffff]/;

/**
 * Node decodes header bytes as latin1; clients send UTF-8. Re-decode so that "josé" in a header
 * hashes like "josé" in a JSON body. Bytes that are not valid UTF-8 stay as Node read them.
 */
export function utf8FromLatin1(value: string): string {
  if (!NON_ASCII.test(value)) return value;
  const decoded = Buffer.from(value, 'latin1').toString('utf8');
  return decoded.includes('\ufffd') ? value : decoded;
}

/** How many times a header appears in the raw request (Node joins repeats with ", "). */
function occurrences(rawHeaders: readonly string[], name: string): number {
  let n = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === name) n++;
  return n;
}

/**
 * The unit id, or undefined when absent or empty. `query` is the raw query string without "?".
 * Throws ApiError `ambiguous_unit` when the id header is repeated: which one would be the user?
 */
export function readUnitId(
  unit: UnitSource,
  req: Pick<IncomingMessage, 'headers' | 'rawHeaders'>,
  query: string,
): string | undefined {
  let id: string | undefined;
  if ('header' in unit) {
    const raw = req.headers[unit.header];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value !== undefined && value.includes(',') && occurrences(req.rawHeaders, unit.header) > 1) {
      throw new ApiError(
        'ambiguous_unit',
        `header "${unit.header}" appears more than once; send one user id`,
      );
    }
    id = value === undefined ? undefined : utf8FromLatin1(value.trim());
  } else if ('cookie' in unit) {
    const cookie = req.headers.cookie;
    id = cookie ? parseCookies(utf8FromLatin1(cookie), unit.cookie)[unit.cookie]?.trim() : undefined;
  } else if (query !== '') {
    id = new URLSearchParams(query).get(unit.query)?.trim() ?? undefined;
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
