// A request line without an HTTP version, as an HTTP/0.9 client sends it, through the real gateway:
// never forwarded to an arm. Followed by a blank line Node parses it as HTTP/0.9 and the gateway
// answers 505 at once; on its own (a true HTTP/0.9 request: one line, then waiting for the answer) the
// parser still expects headers, so the connection gets 408 JSON when the header deadline passes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw-http.js';
import { twoArmExperiment } from '../helpers/experiments.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** The header deadline is min(30 s, ABGATE_REQUEST_TIMEOUT_MS): short here. */
const REQUEST_TIMEOUT_MS = 1_000;

let control: TestUpstream;
let treatment: TestUpstream;
let gw: TestGateway;

beforeAll(async () => {
  control = await startUpstream('control');
  treatment = await startUpstream('treatment');
  gw = await startGateway([twoArmExperiment('v09', [control.url, treatment.url])], {
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
});
afterAll(async () => {
  await gw.close();
  await control.close();
  await treatment.close();
});

const forwarded = () => control.received.length + treatment.received.length;

describe('a request line without a version', () => {
  it('followed by a blank line: 505 at once, not forwarded', async () => {
    const before = forwarded();
    const r = await rawRequest(gw.url, 'GET /v09/x\r\n\r\n');
    expect(r.status).toBe(505);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'http_version_not_supported' } });
    expect(forwarded()).toBe(before);
  });

  it('alone (HTTP/0.9): not forwarded, 408 JSON once the header deadline passes, then closed', async () => {
    const before = forwarded();
    const started = Date.now();
    const r = await rawRequest(gw.url, 'GET /v09/x\r\n', 10_000);
    expect(r.status).toBe(408);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'request_timeout' } });
    expect(r.headers.connection).toBe('close');
    expect(Date.now() - started).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(forwarded()).toBe(before);
  });
});
