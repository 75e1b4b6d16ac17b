// Who may change experiments live. With ABGATE_ADMIN_TOKEN set: a bearer admin token, compared in
// constant time against every configured token; the history names its label, never the token. Unset:
// only clients on the gateway's own machine (loopback, not forwarded by a proxy), named "local".
import type { Context, MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import type { Settings } from '../config/settings.js';
import { ApiError } from '../errors/api-error.js';
import type { AppEnv } from './env.js';

const BEARER = /^Bearer +(\S+) *$/i;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

type AdminSettings = Pick<Settings, 'adminToken' | 'adminTokenLabel' | 'apiToken'>;

function bearer(c: Context<AppEnv>): string | undefined {
  const header = c.req.header('authorization');
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/** The label of the admin token `presented` matches, or undefined. Compares against every token. */
async function adminLabel(
  settings: AdminSettings,
  presented: string | undefined,
): Promise<string | undefined> {
  if (presented === undefined || settings.adminToken === undefined) return undefined;
  let label: string | undefined;
  for (const t of settings.adminToken) {
    // No early exit: the time taken does not tell which token (or how much of one) matched.
    if ((await timingSafeEqual(t.token, presented)) && label === undefined) {
      label = t.label || settings.adminTokenLabel;
    }
  }
  return label;
}

function isLocal(c: Context<AppEnv>): boolean {
  const address = c.env?.incoming?.socket?.remoteAddress;
  const forwarded = c.req.header('x-forwarded-for') !== undefined || c.req.header('forwarded') !== undefined;
  return address !== undefined && LOOPBACK.has(address) && !forwarded;
}

/** Guards live changes; sets `adminActor` for the history. */
export function requireAdmin(settings: AdminSettings): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (settings.adminToken === undefined) {
      if (!isLocal(c)) {
        throw new ApiError(
          'forbidden',
          'live changes are accepted only from the gateway machine itself until ABGATE_ADMIN_TOKEN is set; set it and send "Authorization: Bearer <token>"',
        );
      }
      c.set('adminActor', 'local');
      return next();
    }
    const presented = bearer(c);
    if (presented === undefined) {
      c.header('www-authenticate', 'Bearer realm="abgate"');
      throw new ApiError('unauthorized', 'live changes need "Authorization: Bearer <ABGATE_ADMIN_TOKEN>"');
    }
    const label = await adminLabel(settings, presented);
    if (label === undefined) {
      if (settings.apiToken !== undefined && (await timingSafeEqual(settings.apiToken, presented))) {
        throw new ApiError(
          'forbidden',
          'this token may read experiments but not change them; use an admin token',
        );
      }
      c.header('www-authenticate', 'Bearer realm="abgate", error="invalid_token"');
      throw new ApiError('unauthorized', 'invalid admin token');
    }
    c.set('adminActor', label);
    return next();
  };
}
