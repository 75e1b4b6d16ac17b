// /reports/_login and /reports/_logout: a browser trades the API token for a session cookie
// (report-session.ts). The form posts same-origin; the cookie is SameSite=Strict, and it only
// opens report pages: every state-changing endpoint still needs a bearer token.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../../errors/api-error.js';
import { loginHtml } from '../../reports/pages.js';
import type { AppEnv } from '../env.js';
import {
  isHttps,
  LOGIN_PATH,
  LOGOUT_PATH,
  safeNext,
  sessionCookie,
  type ReportSessions,
} from '../report-session.js';

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  'cache-control': 'no-store',
};

const LOGIN_BODY_BYTES = 8 * 1024;

export function reportLoginRoutes(sessions: ReportSessions) {
  return new Hono<AppEnv>()
    .get(LOGIN_PATH, (c) => {
      const next = safeNext(c.req.query('next'));
      if (!sessions.enabled) return c.redirect(next, 303);
      return c.html(loginHtml(next), 200, PAGE_HEADERS);
    })
    .post(
      LOGIN_PATH,
      bodyLimit({
        maxSize: LOGIN_BODY_BYTES,
        onError: () => {
          throw new ApiError('payload_too_large', `the login form may not exceed ${LOGIN_BODY_BYTES} bytes`);
        },
      }),
      async (c) => {
        const type = c.req.header('content-type') ?? '';
        if (!/^application\/x-www-form-urlencoded\b|^multipart\/form-data\b/i.test(type)) {
          throw new ApiError(
            'bad_request',
            'post the login form (application/x-www-form-urlencoded) with a "token" field',
          );
        }
        const form = await c.req.parseBody();
        const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
        if (!sessions.enabled) return c.redirect(next, 303);
        const token = typeof form.token === 'string' ? form.token : undefined;
        if (!sessions.accepts(token)) {
          c.header('www-authenticate', 'Bearer realm="abgate"');
          return c.html(loginHtml(next, 'That is not the API token. Try again.'), 401, PAGE_HEADERS);
        }
        c.header('set-cookie', sessionCookie(sessions.issue(token!), isHttps(c)));
        return c.redirect(next, 303);
      },
    )
    .post(LOGOUT_PATH, (c) => {
      c.header('set-cookie', sessionCookie('', isHttps(c)));
      return c.redirect(LOGIN_PATH, 303);
    });
}
