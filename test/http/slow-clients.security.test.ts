// Slow clients through the real gateway: a flood of trickling request bodies is timed out with 408
// (ABGATE_REQUEST_TIMEOUT_MS) while /healthz keeps answering, and ABGATE_MAX_CONNECTIONS caps the
// connections a flood can hold. Waits are for conditions (sockets closed), with generous deadlines.
import type { Socket } from 'node:net';
import { pino } from 'pino';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { collect, openRaw, parseRaw } from '../helpers/raw-http.js';
import { twoArmExperiment } from '../helpers/experiments.js';
import { startUpstream } from '../helpers/upstream.js';

/** Short enough for a quick test, long enough that a loaded machine still answers /healthz well within it. */
const REQUEST_TIMEOUT_MS = 2_000;
const FLOOD = 40;

let gw: TestGateway | undefined;
const sockets: Socket[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  timers.forEach(clearInterval);
  sockets.forEach((s) => s.destroy());
  sockets.length = timers.length = 0;
  await gw?.close();
  gw = undefined;
});

/** Opens a POST /api/v1/outcomes that promises 1000 bytes and trickles one every 100 ms; resolves with what it got back. */
async function slowBody(url: string): Promise<{ socket: Socket; answer: Promise<string> }> {
  const socket = await openRaw(url);
  sockets.push(socket);
  const answer = collect(socket);
  socket.write(
    'POST /api/v1/outcomes HTTP/1.1\r\nHost: gw\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n[',
  );
  timers.push(setInterval(() => socket.writable && socket.write(' '), 100));
  return { socket, answer };
}

async function connections(t: TestGateway): Promise<number> {
  return new Promise((resolve, reject) =>
    t.gateway.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
  );
}

async function waitFor(condition: () => Promise<boolean>, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const healthz = async (t: TestGateway) => (await request(`${t.url}/healthz`, { reset: true })).statusCode;

describe('slow request bodies', () => {
  it('keeps /healthz answering under a flood, then times every slow body out with 408 JSON', async () => {
    const errors: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => errors.push(line) });
    gw = await startGateway([], { requestTimeoutMs: REQUEST_TIMEOUT_MS, maxConnections: 0 }, { logger });
    const flood = await Promise.all(Array.from({ length: FLOOD }, () => slowBody(gw!.url)));
    const open = new Set(flood.map((f) => f.socket));
    flood.forEach((f) => f.socket.once('close', () => open.delete(f.socket)));
    await waitFor(async () => (await connections(gw!)) >= FLOOD, 'the flood to connect');

    for (let i = 0; i < 5; i++) expect(await healthz(gw)).toBe(200);
    // The flood was still there while /healthz answered.
    expect(open.size).toBe(FLOOD);

    const answers = await Promise.all(flood.map((f) => f.answer));
    for (const text of answers) {
      const r = parseRaw(text);
      expect(r.status).toBe(408);
      expect(r.headers.connection).toBe('close');
      expect(JSON.parse(r.body)).toMatchObject({
        error: {
          code: 'request_timeout',
          message: expect.stringContaining(`${REQUEST_TIMEOUT_MS} ms`) as unknown,
        },
      });
    }
    await waitFor(async () => (await connections(gw!)) === 0, 'the slow connections to close');
    expect(await healthz(gw)).toBe(200);
    // A client that did not finish its request is not a server error (logged as 499, like the proxy).
    expect(errors).toEqual([]);
  });

  it('does not cut a request that arrived in time whose answer takes longer (slow inference)', async () => {
    const model = await startUpstream('model');
    try {
      gw = await startGateway([twoArmExperiment('slow', [model.url, model.url])], {
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
      });
      const wait = REQUEST_TIMEOUT_MS + 500;
      const r = await request(`${gw.url}/slow/slow/${wait}`, {
        method: 'POST',
        headers: { 'x-user-id': 'u1', 'content-type': 'application/json' },
        body: '{"features":[1,2,3]}',
      });
      expect(r.statusCode).toBe(201);
      expect(((await r.body.json()) as { bodyBytes: number }).bodyBytes).toBe(20);
    } finally {
      await model.close();
    }
  });
});

describe('ABGATE_MAX_CONNECTIONS', () => {
  it('closes connections past the cap at once, and answers again when the slow ones are gone', async () => {
    const cap = 10;
    gw = await startGateway([], { requestTimeoutMs: REQUEST_TIMEOUT_MS, maxConnections: cap });
    expect(gw.gateway.server.maxConnections).toBe(cap);
    const flood = await Promise.all(Array.from({ length: cap }, () => slowBody(gw!.url)));
    await waitFor(async () => (await connections(gw!)) === cap, 'the flood to connect');

    const extra = await openRaw(gw.url);
    sockets.push(extra);
    const refused = collect(extra);
    extra.write('GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
    expect(parseRaw(await refused).status).toBe(0); // closed without an answer
    expect(await connections(gw)).toBe(cap);

    await Promise.all(flood.map((f) => f.answer));
    await waitFor(async () => (await connections(gw!)) === 0, 'the slow connections to close');
    expect(await healthz(gw)).toBe(200);
  });

  it('defaults to half the open-file limit', async () => {
    gw = await startGateway([]);
    expect(gw.gateway.server.maxConnections).toBeGreaterThanOrEqual(64);
  });
});
