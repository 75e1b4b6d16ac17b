// Header hygiene for proxying: hop-by-hop headers (RFC 9110 §7.6.1) never cross the gateway.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);

/** Headers named in a Connection header are hop-by-hop too. */
function connectionListed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  // Fast path for the usual single token (runs twice per proxied request): nothing extra is listed.
  if (value === 'keep-alive' || value === 'close' || value === 'Keep-Alive' || value === 'Close')
    return undefined;
  const list = Array.isArray(value) ? value.join(',') : value;
  const names = list
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '' && s !== 'close' && s !== 'keep-alive');
  return names.length > 0 ? new Set(names) : undefined;
}

type HeaderMap = Record<string, string | string[] | undefined>;

/**
 * Copies `headers` without hop-by-hop headers and without any header in `drop` (lower-case).
 * Values are passed through unchanged (arrays stay arrays, e.g. set-cookie).
 */
export function endToEndHeaders(
  headers: HeaderMap,
  drop?: ReadonlySet<string>,
): Record<string, string | string[]> {
  const listed = connectionListed(headers['connection']);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (drop?.has(name) || listed?.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** Request headers that the gateway consumes or replaces before forwarding. */
// `expect: 100-continue` is answered by Node itself; forwarding it would make undici refuse the request.
// `x-abgate-token` is a gateway credential: it never reaches an upstream.
export const GATEWAY_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'expect',
  'x-abgate-force-arm',
  'x-abgate-token',
]);

export function forwardedFor(
  req: IncomingHttpHeaders,
  remoteAddress: string | undefined,
): string | undefined {
  const raw = req['x-forwarded-for'];
  const prior = Array.isArray(raw) ? raw.join(', ') : raw;
  if (remoteAddress === undefined) return prior;
  return prior ? `${prior}, ${remoteAddress}` : remoteAddress;
}

export type { OutgoingHttpHeaders };
