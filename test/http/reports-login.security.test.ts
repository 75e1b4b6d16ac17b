// Browser access to reports with ABGATE_API_TOKEN set: login form → HttpOnly, SameSite=Strict
// session cookie holding an HMAC (never the token), 303 to the form without it, no open redirect,
// the cookie opens report pages only; the experiment list at /reports/.
import { describe, expect, it } from 'vitest';
import { safeNext, SESSION_MAX_AGE_S } from '../../src/http/report-session.js';
import { apiExperiment, testApp } from '../helpers/app.js';

const TOKEN = 's3cret-0123456789abcdef';

async function app(settings: Record<string, unknown> = { apiToken: TOKEN }) {
  const clock = { now: Date.parse('2026-11-10T10:00:00Z') };
  const t = await testApp([apiExperiment({ description: 'a <b>bold</b> test' })], settings, {
    now: () => clock.now,
  });
  t.store.recordExposure({ experiment: 'exp', arm: 'control', userId: 'u1', timestamp: clock.now });
  t.store.recordExposure({ experiment: 'exp', arm: 'treatment', userId: 'u2', timestamp: clock.now });
  return { ...t, clock };
}

function login(
  a: Awaited<ReturnType<typeof app>>['app'],
  token: string,
  next = '/reports/exp',
  url = 'http://gw/reports/_login',
  headers: Record<string, string> = {},
) {
  return a.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ token, next }).toString(),
  });
}

function cookieOf(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  return set.split(';')[0]!;
}

describe('report login', () => {
  it('sends a browser without a session to the login form, keeping where it was going', async () => {
    const { app: a } = await app();
    for (const [path, next] of [
      ['/reports/exp?phase=1', '/reports/exp?phase=1'],
      ['/reports/', '/reports/'],
      ['/reports', '/reports'],
    ]) {
      const res = await a.request(path!);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe(`/reports/_login?next=${encodeURIComponent(next!)}`);
    }
    const form = await a.request('/reports/_login?next=%2Freports%2Fexp');
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain('<form method="post" action="/reports/_login">');
    expect(html).toContain('name="next" value="/reports/exp"');
    expect(html).toContain('type="password"');
  });

  it('trades the right token for an HttpOnly, SameSite=Strict cookie that holds no token', async () => {
    const { app: a } = await app();
    const res = await login(a, TOKEN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/reports/exp');
    const set = res.headers.get('set-cookie')!;
    expect(set).toMatch(
      /^abgate_reports=\d+\.[A-Za-z0-9_-]{43}; Path=\/reports; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    expect(set).not.toContain(TOKEN);
    expect(set).not.toContain(Buffer.from(TOKEN).toString('base64url'));
    const page = await a.request('/reports/exp', { headers: { cookie: cookieOf(res) } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('action="/reports/_logout"');
    expect(html).toContain('a &#60;b&#62;bold&#60;/b&#62; test');
    const list = await a.request('/reports/', { headers: { cookie: cookieOf(res) } });
    expect(list.status).toBe(200);
  });

  it('marks the cookie Secure when the request came over https', async () => {
    const { app: a } = await app();
    expect(
      (await login(a, TOKEN, '/reports/', 'https://gw/reports/_login')).headers.get('set-cookie'),
    ).toMatch(/; Secure$/);
    const proxied = await login(a, TOKEN, '/reports/', 'http://gw/reports/_login', {
      'x-forwarded-proto': 'https',
    });
    expect(proxied.headers.get('set-cookie')).toMatch(/; Secure$/);
  });

  it('refuses a wrong token with 401, WWW-Authenticate and no cookie', async () => {
    const { app: a } = await app();
    const res = await login(a, 'nope');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain('not the API token');
    expect((await login(a, '')).status).toBe(401);
  });

  it('rejects tampered and expired cookies, and logs out', async () => {
    const { app: a, clock } = await app();
    const cookie = cookieOf(await login(a, TOKEN));
    const [name, value] = cookie.split('=') as [string, string];
    const [expires, mac] = value.split('.') as [string, string];
    const tampered = [
      `${name}=${Number(expires) + 3600}.${mac}`,
      `${name}=${expires}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
      `${name}=${expires}.${TOKEN}`,
      `${name}=${TOKEN}`,
    ];
    for (const c of tampered) {
      expect((await a.request('/reports/exp', { headers: { cookie: c } })).status, c).toBe(303);
    }
    expect((await a.request('/reports/exp', { headers: { cookie } })).status).toBe(200);
    clock.now += SESSION_MAX_AGE_S * 1000 + 1;
    expect((await a.request('/reports/exp', { headers: { cookie } })).status).toBe(303);
    const out = await a.request('/reports/_logout', { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/reports/_login');
    expect(out.headers.get('set-cookie')).toMatch(
      /^abgate_reports=; Path=\/reports; HttpOnly; SameSite=Strict; Max-Age=0/,
    );
  });

  it('a session opens report pages only: the API and live changes still need a bearer token', async () => {
    const { app: a } = await app({ apiToken: TOKEN, adminToken: 'admin-0123456789abcdef' });
    const cookie = cookieOf(await login(a, TOKEN));
    for (const path of ['/api/v1/experiments', '/api/v1/experiments/exp/report']) {
      const res = await a.request(path, { headers: { cookie } });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="abgate"/);
    }
    // An admin token opens the pages too (it reads everything the API token reads).
    expect((await login(a, 'admin-0123456789abcdef')).status).toBe(303);
    const patch = await a.request('/api/v1/experiments/exp', {
      method: 'PATCH',
      headers: { cookie, 'content-type': 'application/json', 'if-match': '"1"' },
      body: JSON.stringify({ traffic: 10 }),
    });
    expect(patch.status).toBe(401);
    // Scripts keep using the bearer token on the pages; a wrong one is a 401, not a redirect.
    expect((await a.request('/reports/exp', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
      200,
    );
    const wrong = await a.request('/reports/exp', { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('invalid_token');
  });

  it('never redirects off the report pages after login', async () => {
    const { app: a } = await app();
    for (const next of [
      '//evil.example/reports/',
      'https://evil.example/reports/',
      '/\\evil.example/reports',
      '/reports/../api/v1/experiments',
      '/reports\t/x',
      'javascript:alert(1)',
      '/reports/_login',
      '/api/v1/experiments',
    ]) {
      const res = await login(a, TOKEN, next);
      expect(res.headers.get('location'), next).toBe('/reports/');
    }
    expect((await login(a, TOKEN, '/reports/exp?phase=1')).headers.get('location')).toBe(
      '/reports/exp?phase=1',
    );
  });

  it('answers the login routes only with their methods', async () => {
    const { app: a } = await app();
    const res = await a.request('/reports/_logout');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const json = await a.request('/reports/_login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(json.status).toBe(400);
  });
});

describe('safeNext', () => {
  it.each([
    ['/reports/exp', '/reports/exp'],
    ['/reports', '/reports'],
    ['/reports/exp?phase=2', '/reports/exp?phase=2'],
    [undefined, '/reports/'],
    ['reports/exp', '/reports/'],
    ['/reportsx', '/reports/'],
    ['//evil', '/reports/'],
    ['/%2F%2Fevil', '/reports/'],
  ])('%s → %s', (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });
});

describe('/reports/', () => {
  it('lists the experiments with links, state, phase and users when no token is set', async () => {
    const { app: a } = await app({});
    for (const path of ['/reports/', '/reports']) {
      const res = await a.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      const html = await res.text();
      expect(html).toContain('<a href="/reports/exp">exp</a>');
      expect(html).toMatch(/<td>running<\/td><td>1<\/td><td>100%<\/td><td>2<\/td>/);
      expect(html).toContain('<caption>Experiments</caption>');
      expect(html).not.toContain('Log out');
    }
    expect((await a.request('/reports/_login')).headers.get('location')).toBe('/reports/');
  });
});
