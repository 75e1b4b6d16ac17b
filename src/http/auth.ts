// Optional bearer-token guard (ABGATE_API_TOKEN) for experiment and report endpoints.
// hono's bearerAuth compares in constant time; its answers use our error body.
import type { Context, MiddlewareHandler } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { ApiError, errorBody } from '../errors/api-error.js';
import type { AppEnv } from './env.js';

const unauthorized = (message: string) => (c: Context<AppEnv>) =>
  errorBody(new ApiError('unauthorized', message), c.var.requestId ?? '');

/** A pass-through when no token is configured. */
export function requireToken(token: string | undefined): MiddlewareHandler<AppEnv> {
  if (token === undefined) return async (_c, next) => next();
  return bearerAuth({
    token,
    noAuthenticationHeader: {
      message: unauthorized('this endpoint needs "Authorization: Bearer <ABGATE_API_TOKEN>"'),
    },
    invalidAuthenticationHeader: {
      message: unauthorized('malformed Authorization header; expected "Bearer <token>"'),
    },
    invalidToken: { message: unauthorized('invalid API token') },
  }) as MiddlewareHandler<AppEnv>;
}
