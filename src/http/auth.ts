// Bearer-token guards for the API: one middleware over a list of accepted tokens
// (ABGATE_API_TOKEN for reads, ABGATE_INGEST_TOKEN for outcomes and assignments).
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors/api-error.js';
import { TokenSet } from '../security/token-set.js';
import type { AppEnv } from './env.js';

const BEARER = /^Bearer +(\S+) *$/i;

/** A token an endpoint accepts, and the variable that sets it (named in the 401 message). */
export interface AcceptedToken {
  readonly variable: string;
  readonly token: string | undefined;
}

/**
 * A pass-through when none of `accepted` is configured; otherwise 401 (with `WWW-Authenticate`)
 * unless `Authorization: Bearer <token>` carries one of them. Constant-time comparison (TokenSet).
 */
export function requireToken(accepted: readonly AcceptedToken[]): MiddlewareHandler<AppEnv> {
  const configured = accepted.filter((a) => a.token !== undefined);
  const tokens = new TokenSet(configured.map((a) => a.token));
  if (tokens.empty) return async (_c, next) => next();
  const wanted = configured.map((a) => `"Authorization: Bearer <${a.variable}>"`).join(' or ');
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined) {
      c.header('www-authenticate', 'Bearer realm="abgate"');
      throw new ApiError('unauthorized', `this endpoint needs ${wanted}`);
    }
    if (!tokens.matches(BEARER.exec(header)?.[1])) {
      c.header('www-authenticate', 'Bearer realm="abgate", error="invalid_token"');
      throw new ApiError('unauthorized', `invalid token; this endpoint needs ${wanted}`);
    }
    await next();
  };
}
