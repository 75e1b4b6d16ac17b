// Optional bearer-token guard (ABGATE_API_TOKEN) for experiment and report endpoints.
import type { MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'hono/utils/buffer';
import { ApiError } from '../errors/api-error.js';
import type { AppEnv } from './env.js';

const BEARER = /^Bearer +(\S+) *$/i;

/**
 * A pass-through when no token is configured; otherwise 401 unless `Authorization: Bearer <token>`.
 * The comparison is constant-time (hono's timingSafeEqual hashes both sides first).
 */
export function requireToken(token: string | undefined): MiddlewareHandler<AppEnv> {
  if (token === undefined) return async (_c, next) => next();
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined) {
      throw new ApiError('unauthorized', 'this endpoint needs "Authorization: Bearer <ABGATE_API_TOKEN>"');
    }
    const presented = BEARER.exec(header)?.[1];
    if (presented === undefined || !(await timingSafeEqual(token, presented))) {
      c.header('www-authenticate', 'Bearer realm="abgate"');
      throw new ApiError('unauthorized', 'invalid API token');
    }
    await next();
  };
}
