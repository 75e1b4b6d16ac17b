// Browser access to the report pages when ABGATE_API_TOKEN is set: a login form trades the token
// for a cookie, so a person can open /reports/… in a browser. The cookie never holds the token:
// it holds an expiry and HMAC-SHA256(key = token, "abgate-reports:" + expiry), checked in constant
// time against every accepted token. Rotating the token logs every browser out; so does expiry.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { TokenSet } from '../security/token-set.js';
import type { AppEnv } from './env.js';

export const SESSION_COOKIE = 'abgate_reports';
export const SESSION_MAX_AGE_S = 12 * 3600;
export const LOGIN_PATH = '/reports/_login';
export const LOGOUT_PATH = '/reports/_logout';

function mac(token: string, expires: number): Buffer {
  return createHmac('sha256', token).update(`abgate-reports:${expires}`).digest();
}

export class ReportSessions {
  private readonly tokens: readonly string[];
  private readonly set: TokenSet;

  constructor(
    tokens: readonly (string | undefined)[],
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = tokens.filter((t): t is string => t !== undefined && t !== '');
    this.set = new TokenSet(this.tokens);
  }

  /** Whether reports need a token at all. */
  get enabled(): boolean {
    return this.tokens.length > 0;
  }

  /** Constant-time check of a token typed into the login form. */
  accepts(token: string | undefined): boolean {
    return this.set.matches(token);
  }

  /** The cookie value for a session opened with `token` (which `accepts`). */
  issue(token: string): string {
    const expires = Math.floor(this.now() / 1000) + SESSION_MAX_AGE_S;
    return `${expires}.${mac(token, expires).toString('base64url')}`;
  }

  /** Whether a cookie value is a live session of one of the accepted tokens. */
  valid(value: string | undefined): boolean {
    const m = value === undefined ? null : /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!m) return false;
    const expires = Number(m[1]);
    if (expires * 1000 <= this.now()) return false;
    const presented = Buffer.from(m[2]!, 'base64url');
    let found = false;
    for (const token of this.tokens) found = timingSafeEqual(presented, mac(token, expires)) || found;
    return found;
  }
}

/** Whether the browser reached us over https (directly, or as a TLS proxy in front says). */
export function isHttps(c: Context): boolean {
  return (
    new URL(c.req.url).protocol === 'https:' ||
    c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https'
  );
}

/** Set-Cookie for a session (or, with value '', the one that clears it). */
export function sessionCookie(value: string, https: boolean): string {
  const maxAge = value === '' ? 0 : SESSION_MAX_AGE_S;
  return `${SESSION_COOKIE}=${value}; Path=/reports; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${https ? '; Secure' : ''}`;
}

/**
 * Where to go after logging in: only a local report path (`/reports…`), never another site
 * (`//evil`, `/\evil`, `https://…`) and never the login routes themselves.
 */
export function safeNext(next: string | undefined): string {
  const fallback = '/reports/';
  if (next === undefined || next.length > 2000 || !next.startsWith('/')) return fallback;
  // Browsers read a backslash as "/" and drop tabs and newlines: refuse them rather than guess.
  if ([...next].some((ch) => ch.charCodeAt(0) < 0x20 || ch === '\u007f' || ch === '\\')) return fallback;
  const base = 'http://local.invalid';
  const url = new URL(next, base);
  if (url.origin !== base || !/^\/reports(\/|$)/.test(url.pathname)) return fallback;
  if (url.pathname === LOGIN_PATH || url.pathname === LOGOUT_PATH) return fallback;
  return url.pathname + url.search;
}

/**
 * Guards /reports and /reports/*: open when no token is configured; a request with an
 * Authorization header is judged by `bearer` (scripts, curl); otherwise a valid session cookie
 * lets it through, and a browser without one is sent to the login form (303) with where it was going.
 */
export function requireReportAccess(
  sessions: ReportSessions,
  bearer: MiddlewareHandler<AppEnv>,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const path = c.req.path;
    if (!sessions.enabled || path === LOGIN_PATH || path === LOGOUT_PATH) return next();
    if (c.req.header('authorization') !== undefined) return bearer(c, next);
    if (sessions.valid(getCookie(c, SESSION_COOKIE))) return next();
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return bearer(c, next);
    const url = new URL(c.req.url);
    return c.redirect(`${LOGIN_PATH}?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
  };
}
