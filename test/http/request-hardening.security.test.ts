// Request-level attacks through the real gateway: path escapes that a lax upstream would resolve,
// methods and protocol versions that must not be proxied, duplicate Host, and header-count smuggling.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw-http.js';

/** Percent-decodes byte by byte like a lax server, including overlong UTF-8 for "." "/" "\". */
function laxDecode(path: string): string {
  return path
    .replace(/%c0%ae/gi, '.')
    .replace(/%c0%af/gi, '/')
    .replace(/%c1%9c/gi, '\\')
    .replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * How a lax upstream reads a path: decoded up to three times, "\" as "/", ";…" parameters dropped,
 * dot segments resolved. Tomcat, IIS and many hand-written servers do one or more of these.
 */
function laxResolve(rawPath: string): string {
  let p = rawPath;
  for (let i = 0; i < 3; i++) {
    const next = laxDecode(p);
    if (next === p) break;
    p = next;
  }
  const out: string[] = [];
  for (const segment of p.replace(/\\/g, '/').split('/')) {
    const name = segment.split(';')[0]!;
    if (name === '..') out.pop();
    else if (name !== '.' && name !== '') out.push(name);
  }
  return `/${out.join('/')}`;
}

interface LaxUpstream {
  readonly url: string;
  readonly received: { method: string; url: string; bodyBytes: number; bodySha256: string }[];
  close(): Promise<void>;
}

/** An upstream that serves its model under /base and a secret everywhere else, resolving paths laxly. */
async function startLaxUpstream(): Promise<LaxUpstream> {
  const received: LaxUpstream['received'] = [];
  const server: Server = createServer((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    req.on('end', () => {
      const url = req.url ?? '/';
      received.push({ method: req.method ?? '', url, bodyBytes: bytes, bodySha256: hash.digest('hex') });
      const resolved = laxResolve(url.split('?')[0]!);
      const escaped = resolved !== '/base' && !resolved.startsWith('/base/');
      res.writeHead(escaped ? 200 : 201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ resolved, escaped, secret: escaped ? 'admin area' : undefined, bodyBytes: bytes }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const MAX_BODY = 4096;
let lax: LaxUpstream;
let gw: TestGateway;

beforeAll(async () => {
  lax = await startLaxUpstream();
  gw = await startGateway(
    [
      {
        id: 'wh',
        status: 'running',
        route: { path: '/models/wh' },
        arms: [
          { name: 'control', upstream: `${lax.url}/base` },
          { name: 'treatment', upstream: `${lax.url}/base` },
        ],
      },
    ],
    { maxBodyBytes: MAX_BODY },
  );
});
afterAll(async () => {
  await gw.close();
  await lax.close();
});

const get = (target: string, extra = '') =>
  `GET ${target} HTTP/1.1\r\nHost: gw\r\nx-user-id: u1\r\n${extra}Connection: close\r\n\r\n`;

describe('paths that climb out of the arm', () => {
  const ESCAPES = [
    '../admin',
    '..\\admin',
    '..%5cadmin',
    '..%5Cadmin',
    '..;/admin',
    '..;jsessionid=1/admin',
    '..%2fadmin',
    '..%2Fadmin',
    '%2e%2e/admin',
    '.%2e/admin',
    '%2e%2e%2fadmin',
    '%2e%2e%5cadmin',
    '%252e%252e/admin',
    '..%252fadmin',
    '%c0%ae%c0%ae/admin',
  ];

  it.each(ESCAPES)(
    'the lax upstream resolves /base/%s outside /base (so the test can fail)',
    async (escape) => {
      const direct = await rawRequest(lax.url, get(`/base/${escape}`));
      expect(JSON.parse(direct.body)).toMatchObject({ escaped: true, resolved: '/admin' });
    },
  );

  it.each(ESCAPES)(
    'the gateway refuses /models/wh/%s with 400 bad_path and never forwards it',
    async (escape) => {
      const before = lax.received.length;
      const r = await rawRequest(gw.url, get(`/models/wh/${escape}`));
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'bad_path' } });
      expect(r.headers['x-request-id']).toBeTruthy();
      expect(lax.received.length).toBe(before);
    },
  );

  it('refuses backslashes anywhere, and passes ordinary dotted and encoded paths', async () => {
    expect((await rawRequest(gw.url, get('/models/wh/a\\b'))).status).toBe(400);
    expect((await rawRequest(gw.url, get('/models/wh/a%5cb'))).status).toBe(400);
    for (const fine of ['/models/wh/v1.2/file..name', '/models/wh/a%2fb', '/models/wh/a;v=1/b']) {
      const r = await rawRequest(gw.url, get(fine));
      expect(r.status, fine).toBe(201);
      expect(JSON.parse(r.body), fine).toMatchObject({ escaped: false });
    }
  });
});

describe('methods and protocol versions', () => {
  it('answers TRACE on an experiment route with 405 JSON and an Allow header, without forwarding', async () => {
    const before = lax.received.length;
    const r = await rawRequest(
      gw.url,
      `TRACE /models/wh HTTP/1.1\r\nHost: gw\r\nx-user-id: u1\r\nConnection: close\r\n\r\n`,
    );
    expect(r.status).toBe(405);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'method_not_allowed' } });
    expect(r.headers.allow).toContain('GET');
    expect(r.headers.allow).not.toContain('TRACE');
    expect(lax.received.length).toBe(before);
    const api = await rawRequest(gw.url, `TRACE /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`);
    expect(api.status).toBe(405);
  });

  it('answers CONNECT with 405 JSON instead of dropping the connection', async () => {
    const r = await rawRequest(
      gw.url,
      `CONNECT ${new URL(lax.url).host} HTTP/1.1\r\nHost: ${new URL(lax.url).host}\r\n\r\n`,
    );
    expect(r.status).toBe(405);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'method_not_allowed' } });
  });

  it.each([
    ['HTTP/0.9', 'GET /models/wh\r\n\r\n'],
    ['HTTP/2.0 as text', 'GET /models/wh HTTP/2.0\r\nHost: gw\r\nx-user-id: u1\r\n\r\n'],
    ['HTTP/1.2', 'GET /models/wh HTTP/1.2\r\nHost: gw\r\nx-user-id: u1\r\n\r\n'],
  ])('refuses %s with 505 and never forwards it', async (_name, raw) => {
    const before = lax.received.length;
    const r = await rawRequest(gw.url, raw);
    expect(r.status).toBe(505);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'http_version_not_supported' } });
    expect(lax.received.length).toBe(before);
  });

  it('still serves HTTP/1.0', async () => {
    const r = await rawRequest(gw.url, 'GET /models/wh HTTP/1.0\r\nHost: gw\r\nx-user-id: u1\r\n\r\n');
    expect(r.status).toBe(201);
  });

  it('refuses a request with two Host headers (400), on experiment routes and the API', async () => {
    const before = lax.received.length;
    for (const target of ['/models/wh', '/healthz']) {
      const r = await rawRequest(
        gw.url,
        `GET ${target} HTTP/1.1\r\nHost: gw\r\nHost: evil.example\r\nx-user-id: u1\r\nConnection: close\r\n\r\n`,
      );
      expect(r.status, target).toBe(400);
      expect(JSON.parse(r.body).error.message).toBe('more than one Host header');
    }
    expect(lax.received.length).toBe(before);
  });
});

describe('headers past the 2000th', () => {
  /** 2,100 small headers: past Node's default count limit, well inside the 16 KiB header limit. */
  const FILLER = 'a:1\r\n'.repeat(2100);
  const SMUGGLED = 'GET /models/wh/smuggled HTTP/1.1\r\nHost: gw\r\nx-user-id: s\r\n\r\n';
  const NEXT = 'GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n';

  it('forwards a chunked body behind them whole, and never parses it as a request', async () => {
    const before = lax.received.length;
    const chunk = `${SMUGGLED.length.toString(16)}\r\n${SMUGGLED}\r\n0\r\n\r\n`;
    const r = await rawRequest(
      gw.url,
      `POST /models/wh HTTP/1.1\r\nHost: gw\r\nx-user-id: u1\r\n${FILLER}Transfer-Encoding: chunked\r\n\r\n${chunk}${NEXT}`,
    );
    expect(r.status).toBe(201);
    expect(r.responses).toBe(2); // the POST and the /healthz after it; nothing smuggled in between
    const sent = lax.received.slice(before);
    expect(sent.map((x) => [x.method, x.url])).toEqual([['POST', '/base']]);
    expect(sent[0]!.bodyBytes).toBe(SMUGGLED.length);
    expect(sent[0]!.bodySha256).toBe(createHash('sha256').update(SMUGGLED).digest('hex'));
  });

  it('forwards a Content-Length body behind them whole', async () => {
    const before = lax.received.length;
    const r = await rawRequest(
      gw.url,
      `POST /models/wh HTTP/1.1\r\nHost: gw\r\nx-user-id: u1\r\n${FILLER}Content-Length: ${SMUGGLED.length}\r\nConnection: close\r\n\r\n${SMUGGLED}`,
    );
    expect(r.status).toBe(201);
    expect(lax.received.slice(before).map((x) => [x.url, x.bodyBytes])).toEqual([['/base', SMUGGLED.length]]);
  });

  it('applies the body limit to a chunked body behind them (413)', async () => {
    const big = 'x'.repeat(MAX_BODY + 1);
    const r = await rawRequest(
      gw.url,
      `POST /models/wh HTTP/1.1\r\nHost: gw\r\nx-user-id: u1\r\n${FILLER}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`,
    );
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'payload_too_large' } });
  });
});
