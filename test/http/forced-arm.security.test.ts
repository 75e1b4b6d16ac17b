// x-abgate-force-arm through the real gateway under each ABGATE_FORCE_ARM policy: who may force an
// arm, which header carries the gateway token, and that a forced request is never an exposure.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Settings } from '../../src/config/settings.js';
import type { Exposure } from '../../src/store/event-store.js';
import { interceptExposures } from '../../src/store/intercept-exposures.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { decide } from '../../src/core/decision.js';
import { compileExperiment } from '../../src/routing/compiled-experiment.js';
import { experimentsFrom, startGateway, type TestGateway } from '../helpers/gateway.js';
import { twoArmExperiment } from '../helpers/experiments.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';

/** The arm qa-1 is assigned to in `ranker`, from the allocation itself. */
function assignedArm(doc: unknown, user: string): string {
  const exp = compileExperiment(experimentsFrom([doc])[0]!.definition);
  return exp.arms[decide(exp.allocation, 'running', user).armIndex]!.name;
}

const INGEST = 'ingest-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';

let control: TestUpstream;
let treatment: TestUpstream;
let ownArm: string;
const gateways: TestGateway[] = [];
const experiment = () => twoArmExperiment('ranker', [control.url, treatment.url]);

beforeAll(async () => {
  control = await startUpstream('control');
  treatment = await startUpstream('treatment');
  ownArm = assignedArm(experiment(), 'qa-1');
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await control.close();
  await treatment.close();
});

/** A gateway with `settings`, its store, and every exposure handed to the store. */
async function gatewayWith(settings: Partial<Record<keyof Settings, unknown>>) {
  const memory = new MemoryEventStore();
  const seen: Exposure[] = [];
  const store = interceptExposures(memory, (e, next) => {
    seen.push(e);
    next(e);
  });
  const gw = await startGateway([twoArmExperiment('ranker', [control.url, treatment.url])], settings, {
    store,
  });
  gateways.push(gw);
  return { gw, memory, seen };
}

async function predict(gw: TestGateway, headers: Record<string, string>) {
  const res = await request(`${gw.url}/ranker`, { headers: { 'x-user-id': 'qa-1', ...headers } });
  const json = (await res.body.json()) as Record<string, unknown> & {
    headers?: Record<string, string>;
    error?: { code: string; message: string };
  };
  return { status: res.statusCode, headers: res.headers, json };
}

const exposures = async (memory: MemoryEventStore) =>
  (
    await memory.readAggregates({ experiment: 'ranker', arms: ['control', 'treatment'], metrics: [] })
  ).arms.map((a) => a.exposures);

describe('ABGATE_FORCE_ARM=auto (the default)', () => {
  it('lets anyone force an arm while no token is configured', async () => {
    const { gw } = await gatewayWith({});
    const r = await predict(gw, { 'x-abgate-force-arm': 'treatment' });
    expect(r.status).toBe(201);
    expect(r.headers['x-abgate-forced']).toBe('1');
  });

  it('asks for the ingest token in x-abgate-token once a token is configured', async () => {
    const { gw, memory, seen } = await gatewayWith({ ingestToken: INGEST });
    const before = await exposures(memory);

    const none = await predict(gw, { 'x-abgate-force-arm': 'treatment' });
    expect(none.status).toBe(403);
    expect(none.json.error).toMatchObject({
      code: 'forced_arm_forbidden',
      message: expect.stringContaining('x-abgate-token') as unknown,
    });
    // Authorization belongs to the application and its upstream: it does not unlock forcing.
    const viaAuthorization = await predict(gw, {
      'x-abgate-force-arm': 'treatment',
      authorization: `Bearer ${INGEST}`,
    });
    expect(viaAuthorization.status).toBe(403);
    const wrong = await predict(gw, { 'x-abgate-force-arm': 'treatment', 'x-abgate-token': `${INGEST}0` });
    expect(wrong.status).toBe(403);
    // An unknown arm is refused the same way, so arm names do not leak to whoever asks.
    const unknown = await predict(gw, { 'x-abgate-force-arm': 'nope' });
    expect(unknown.status).toBe(403);
    expect(seen).toEqual([]);

    // The user's own arm first: a cache that remembered a forced sighting would then skip the real exposure.
    const arms = ownArm === 'control' ? ['control', 'treatment'] : ['treatment', 'control'];
    for (const arm of arms) {
      const ok = await predict(gw, {
        'x-abgate-force-arm': arm,
        'x-abgate-token': INGEST,
        authorization: 'Bearer app-credential',
      });
      expect(ok.status).toBe(201);
      expect(ok.headers['x-abgate-arm']).toBe(arm);
      expect(ok.headers['x-abgate-forced']).toBe('1');
      expect(ok.json.upstream).toBe(arm);
      // The gateway token never reaches the model; the application's Authorization does, untouched.
      expect(ok.json.headers?.['x-abgate-token']).toBeUndefined();
      expect(ok.json.headers?.['x-abgate-force-arm']).toBeUndefined();
      expect(ok.json.headers?.authorization).toBe('Bearer app-credential');
    }
    // Not exposures; the store is told of each forced sighting.
    expect(await exposures(memory)).toEqual(before);
    expect(seen.map((e) => [e.arm, e.userId, e.forced])).toEqual(arms.map((arm) => [arm, 'qa-1', true]));

    // The user's own assignment is still recorded afterwards: forced sightings do not fill the exposure cache.
    const own = await predict(gw, {});
    expect(own.status).toBe(201);
    expect(own.headers['x-abgate-arm']).toBe(ownArm);
    const after = await exposures(memory);
    expect(after.reduce((a, b) => a + b, 0)).toBe(before.reduce((a, b) => a + b, 0) + 1);
    expect(seen.at(-1)).toMatchObject({ arm: own.headers['x-abgate-arm'], userId: 'qa-1' });
    expect(seen.at(-1)?.forced).toBeUndefined();
  });

  it('allows no forcing with only the read token configured (no token may force)', async () => {
    const { gw } = await gatewayWith({ apiToken: READ });
    expect((await predict(gw, { 'x-abgate-force-arm': 'treatment' })).status).toBe(403);
    expect((await predict(gw, { 'x-abgate-force-arm': 'treatment', 'x-abgate-token': READ })).status).toBe(
      403,
    );
  });
});

describe('explicit policies', () => {
  it('never: refuses forcing even with the token', async () => {
    const { gw } = await gatewayWith({ ingestToken: INGEST, forceArm: 'never' });
    const r = await predict(gw, { 'x-abgate-force-arm': 'treatment', 'x-abgate-token': INGEST });
    expect(r.status).toBe(403);
    expect(r.json.error?.message).toContain('turned off');
  });

  it('always: lets anyone force an arm even with tokens configured, still without exposure', async () => {
    const { gw, memory } = await gatewayWith({ ingestToken: INGEST, apiToken: READ, forceArm: 'always' });
    const r = await predict(gw, { 'x-abgate-force-arm': 'treatment' });
    expect(r.status).toBe(201);
    expect(await exposures(memory)).toEqual([0, 0]);
  });

  it('token: also accepts the token without any other token configured', async () => {
    const { gw } = await gatewayWith({ ingestToken: INGEST, forceArm: 'token' });
    expect((await predict(gw, { 'x-abgate-force-arm': 'control' })).status).toBe(403);
    expect((await predict(gw, { 'x-abgate-force-arm': 'control', 'x-abgate-token': INGEST })).status).toBe(
      201,
    );
  });
});
