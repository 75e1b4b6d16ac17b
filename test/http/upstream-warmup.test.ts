// The gateway opens connections to its arm upstreams at start; /readyz answers 503 until they are
// open (or the warm-up gave up), and the first requests use those connections.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { pino } from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings.js';
import { createGateway, type Gateway } from '../../src/server.js';
import { createServices } from '../../src/services.js';
import type { WarmupOptions } from '../../src/gateway/upstream-warmup.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { experimentsFrom } from '../helpers/gateway.js';
import { twoArmExperiment } from '../helpers/experiments.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Polls `check` until it returns true (condition-based; the test's own timeout bounds it). */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}

/** A TCP listener that accepts connections and never answers: a TLS handshake with it never completes. */
async function silentServer() {
  const sockets = new Set<Socket>();
  const server = createTcpServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    dropAll: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/** An HTTP upstream that counts the TCP connections it accepted and the requests it answered. */
async function countingUpstream() {
  const counts = { connections: 0, requests: 0 };
  const server: Server = createHttpServer((req, res) => {
    counts.requests += 1;
    req.resume();
    req.on('end', () => res.end('{"ok":true}'));
  });
  server.on('connection', () => (counts.connections += 1));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts };
}

async function gatewayFor(
  upstreams: [string, string],
  warmup: WarmupOptions,
): Promise<{ url: string; gateway: Gateway }> {
  const settings = loadSettings({}, { host: '127.0.0.1', port: 0, logLevel: 'silent' });
  const services = await createServices(settings, experimentsFrom([twoArmExperiment('exp', upstreams)]), {
    logger: pino({ level: 'silent' }),
    processMetrics: false,
    store: new MemoryEventStore(),
  });
  const gateway = createGateway(services, { warmup });
  const port = await gateway.listen(0, '127.0.0.1');
  cleanups.push(async () => {
    await gateway.close(2_000);
  });
  return { url: `http://127.0.0.1:${port}`, gateway };
}

async function readyz(url: string) {
  const res = await request(`${url}/readyz`);
  return {
    status: res.statusCode,
    body: (await res.body.json()) as { status: string; upstreams: Record<string, unknown> },
  };
}

describe('upstream warm-up and /readyz', () => {
  it('answers 503 while connections to an arm upstream are being opened, 200 once that is over', async () => {
    const hung = await silentServer();
    const ok = await countingUpstream();
    // https: the TCP connection is accepted but the TLS handshake never completes until dropped.
    const gw = await gatewayFor([`https://127.0.0.1:${hung.port}/a`, `${ok.url}/b`], {
      perOrigin: 2,
      timeoutMs: 600_000,
    });
    await until(() => hung.sockets.size === 2 && ok.counts.connections === 2);

    const warming = await readyz(gw.url);
    expect(warming.status).toBe(503);
    expect(warming.body.status).toBe('warming_up');
    expect(warming.body.upstreams).toEqual({ status: 'warming', origins: 2 });
    // Liveness is not readiness: the process is up.
    expect((await request(`${gw.url}/healthz`)).statusCode).toBe(200);

    hung.dropAll(); // the handshakes fail: the warm-up is over, with what it could open
    await until(async () => (await readyz(gw.url)).status === 200);
    const ready = await readyz(gw.url);
    expect(ready.body.status).toBe('ready');
    expect(ready.body.upstreams).toEqual({ status: 'done', origins: 2, opened: 2, failed: 2 });
    expect(ok.counts.requests).toBe(0); // warming opens connections, it sends no request
  });

  it('serves the first requests on the connections opened ahead of them', async () => {
    const up = await countingUpstream();
    const gw = await gatewayFor([`${up.url}/a`, `${up.url}/b`], { perOrigin: 3, timeoutMs: 600_000 });
    await until(async () => (await readyz(gw.url)).status === 200);
    expect(up.counts.connections).toBe(3); // both arms share one origin: 3 connections, not 6

    // Three requests in flight at once need three connections: all are the warm ones.
    const answers = await Promise.all(
      ['u1', 'u2', 'u3'].map((user) =>
        request(`${gw.url}/exp/predict`, {
          method: 'POST',
          headers: { 'x-user-id': user, 'content-type': 'application/json' },
          body: '{}',
        }).then(async (r) => {
          await r.body.dump();
          return r.statusCode;
        }),
      ),
    );
    expect(answers).toEqual([200, 200, 200]);
    expect(up.counts.requests).toBe(3);
    expect(up.counts.connections).toBe(3);
  });

  it('becomes ready after its timeout when an upstream never completes a connection', async () => {
    const hung = await silentServer();
    const gw = await gatewayFor([`https://127.0.0.1:${hung.port}/a`, `https://127.0.0.1:${hung.port}/b`], {
      perOrigin: 1,
      timeoutMs: 50,
    });
    await until(async () => (await readyz(gw.url)).status === 200);
    expect((await readyz(gw.url)).body.upstreams).toEqual({ status: 'timed_out', origins: 1 });
    expect(hung.sockets.size).toBeLessThanOrEqual(1);
  });
});
