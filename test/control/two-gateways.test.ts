// Live control across processes: two gateway processes and a real Redis, real upstreams.
// Each scenario uses its own experiment (same folder, same gateways), so they do not depend on each other.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armIndexFor, compileAllocation, inTraffic } from '../../src/core/allocation.js';
import { RedisServer } from '../setup/redis-server.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { runCli } from '../helpers/cli.js';
import { twoArmExperiment } from '../helpers/experiments.js';
import { startGatewayProcess, waitFor, type GatewayProcess } from '../helpers/gateway-process.js';

const TOKEN = 'live-test-admin-token-0123456789';
const IDS = ['notify', 'heal', 'cas', 'ramp', 'ship', 'files', 'restart'] as const;

let redis: RedisServer;
let control: TestUpstream;
let treatment: TestUpstream;
let dir: string;
let a: GatewayProcess;
let b: GatewayProcess;

const doc = (id: string, overrides: Record<string, unknown> = {}) =>
  twoArmExperiment(id, [control.url, treatment.url], {
    metrics: [{ name: 'click', type: 'binomial' }],
    ...overrides,
  });
const writeDoc = (id: string, content: unknown) =>
  writeFile(join(dir, `${id}.json`), typeof content === 'string' ? content : JSON.stringify(content));

interface Live {
  status: string;
  traffic: number;
  live: { version: number; phase: number };
}
const live = (gw: GatewayProcess, id: string) => gw.get<Live>(`/api/v1/experiments/${id}`);
const patch = (gw: GatewayProcess, id: string, body: unknown, headers: Record<string, string> = {}) =>
  gw.call('PATCH', `/api/v1/experiments/${id}`, body, headers);

/** Sum of abgate_exposures_total for `id` on a gateway. */
async function exposuresTotal(gw: GatewayProcess, id: string): Promise<number> {
  const text = await (await request(`${gw.url}/metrics`)).body.text();
  const re = new RegExp(`^abgate_exposures_total\\{experiment="${id}",arm="[^"]+"\\} (\\d+)`, 'gm');
  return [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
}

async function predict(gw: GatewayProcess, id: string, user: string | undefined, dispatcher?: Agent) {
  const res = await request(`${gw.url}/${id}`, {
    headers: user === undefined ? {} : { 'x-user-id': user },
    ...(dispatcher ? { dispatcher } : {}),
  });
  await res.body.dump();
  return {
    status: res.statusCode,
    arm: String(res.headers['x-abgate-arm']),
    experiment: res.headers['x-abgate-experiment'],
  };
}

/** Waits until the queued events of both gateways reached Redis. */
async function drained(): Promise<void> {
  for (const gw of [a, b]) {
    await waitFor(
      () => gw.get<{ store: { queueDepth: number } }>('/readyz'),
      (r) => r.store.queueDepth === 0,
    );
  }
}

const startOne = () =>
  startGatewayProcess({ dir, redis: redis.url, token: TOKEN, env: { ABGATE_ADMIN_TOKEN: `ops:${TOKEN}` } });

beforeAll(async () => {
  redis = await RedisServer.start();
  [control, treatment] = await Promise.all([startUpstream('control'), startUpstream('treatment')]);
  dir = await mkdtemp(join(tmpdir(), 'abgate-live-'));
  for (const id of IDS) await writeDoc(id, doc(id, id === 'ramp' ? { traffic: 10 } : {}));
  [a, b] = await Promise.all([startOne(), startOne()]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([control?.close(), treatment?.close()]);
  await redis?.dispose();
});

describe('two gateways, one Redis', () => {
  it('applies a PATCH made on one gateway on the other within 1 s', async () => {
    const res = await patch(a, 'notify', { status: 'paused', reason: 'incident' });
    expect(res.status).toBe(200);
    // The other gateway hears of it by pub/sub; the bound is the promise, not a benchmark.
    const took = await waitFor(
      () => live(b, 'notify'),
      (e) => e.status === 'paused',
      1_000,
    );
    expect(took).toBeLessThan(1_000);
    expect((await predict(b, 'notify', 'someone')).arm).toBe('control');
    const history = await b.get<{ history: { actor: string; reason: string }[] }>(
      '/api/v1/experiments/notify/history',
    );
    expect(history.history.at(-1)).toMatchObject({ actor: 'ops', reason: 'incident' });
  });

  it('heals a missed change notification with the periodic version check', async () => {
    // Write a change straight into Redis without PUBLISH, as if the message had been lost.
    const client = new Redis(redis.url);
    try {
      const key = 'abgate:{heal}:live';
      const state = JSON.parse((await client.hget(key, 'state'))!) as Record<string, unknown>;
      const version = Number(state.version) + 1;
      await client.hset(
        key,
        'version',
        String(version),
        'state',
        JSON.stringify({ ...state, version, traffic: 25 }),
      );
    } finally {
      client.disconnect();
    }
    for (const gw of [a, b]) {
      await waitFor(
        () => live(gw, 'heal'),
        (e) => e.traffic === 25,
        3_000,
      );
    }
  });

  it('lets exactly one of concurrent PATCHes with the same If-Match win, across gateways', async () => {
    const { live: l } = await live(a, 'cas');
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        patch(i % 2 ? a : b, 'cas', { traffic: 10 + i }, { 'if-match': `"${l.version}"` }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(11);
    const winner = results.find((r) => r.status === 200)!.body as { traffic: number };
    await waitFor(
      () => live(b, 'cas'),
      (e) => e.traffic === winner.traffic && e.live.version === l.version + 1,
    );
    await waitFor(
      () => live(a, 'cas'),
      (e) => e.traffic === winner.traffic,
    );
  });

  it('ramps 10% → 50% under steady load keeping every enrolled user in their arm, with no failed request', async () => {
    const USERS = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    const arms = ['control', 'treatment'];
    const spec = {
      salt: 'ramp',
      hashVersion: 1,
      arms: arms.map((name) => ({ name, weight: 1 })),
      controlIndex: 0,
    };
    const at10 = compileAllocation({ ...spec, traffic: 10 });
    const at50 = compileAllocation({ ...spec, traffic: 50 });
    const expected = (alloc: typeof at10, u: string) =>
      inTraffic(alloc, u) ? arms[armIndexFor(alloc, u)]! : 'control';

    type Sample = { user: string; arm: string; status: number; sentAt: number; doneAt: number };
    const samples: Sample[] = [];
    const agent = new Agent({ connections: 16 });
    let stop = false;
    let next = 0;
    const worker = async () => {
      while (!stop) {
        const user = USERS[next++ % USERS.length]!;
        const sentAt = Date.now();
        const r = await predict(next % 2 ? a : b, 'ramp', user, agent);
        samples.push({ user, arm: r.arm, status: r.status, sentAt, doneAt: Date.now() });
      }
    };
    const load = Promise.all(Array.from({ length: 12 }, worker));
    try {
      await waitFor(
        async () => samples.length,
        (n) => n >= USERS.length,
      );
      const patchedAt = Date.now();
      const res = await patch(a, 'ramp', { traffic: 50, reason: 'ramp' });
      expect(res.status).toBe(200);
      await waitFor(
        () => live(b, 'ramp'),
        (e) => e.traffic === 50,
      );
      const appliedAt = Date.now();
      // Until every user was answered for a request sent after the change (a sample count alone is not
      // enough: the 12 clients' requests interleave, so some users may not have come round yet).
      const seenAfter = new Set<string>();
      let scanned = 0;
      await waitFor(
        async () => {
          for (; scanned < samples.length; scanned++) {
            const s = samples[scanned]!;
            if (s.sentAt > appliedAt) seenAfter.add(s.user);
          }
          return seenAfter.size;
        },
        (n) => n === USERS.length,
        20_000,
      );
      stop = true;
      await load;

      expect(samples.filter((s) => s.status !== 201)).toEqual([]);
      const enrolled10 = USERS.filter((u) => inTraffic(at10, u));
      const enrolled50 = USERS.filter((u) => inTraffic(at50, u));
      expect(enrolled10.length).toBeGreaterThan(150);
      expect(enrolled50.length).toBeGreaterThan(900);
      // Every user enrolled at 10% is served their arm in every answer: before, during and after the ramp.
      const first10 = new Set(enrolled10);
      const moved = samples.filter((s) => first10.has(s.user) && s.arm !== expected(at10, s.user));
      expect(moved).toEqual([]);
      // Before the change every answer follows 10%, after it every answer follows 50%.
      const pre = samples.filter((s) => s.doneAt < patchedAt);
      const post = samples.filter((s) => s.sentAt > appliedAt);
      expect(pre.length).toBeGreaterThanOrEqual(USERS.length - 20);
      expect(new Set(post.map((s) => s.user)).size).toBe(USERS.length);
      expect(pre.filter((s) => s.arm !== expected(at10, s.user))).toEqual([]);
      expect(post.filter((s) => s.arm !== expected(at50, s.user))).toEqual([]);

      // The store saw nobody in two arms, and the version did not start a phase.
      await drained();
      const report = await a.get<{ multiple_arm_users: number; state: { phase: number } }>(
        '/api/v1/experiments/ramp/report',
      );
      expect(report.multiple_arm_users).toBe(0);
      expect(report.state.phase).toBe(1);
    } finally {
      stop = true;
      await load.catch(() => {});
      await agent.close();
    }
  });

  it('conclude → the winner serves 100% with 0 new exposures; rollback → control serves 100%', async () => {
    for (let i = 0; i < 50; i++) await predict(i % 2 ? a : b, 'ship', `early-${i}`);
    const concluded = await patch(b, 'ship', { status: 'concluded', winner: 'treatment', reason: 'ship it' });
    expect(concluded.status).toBe(200);
    await waitFor(
      () => live(a, 'ship'),
      (e) => e.status === 'concluded',
    );
    const exposures = (await exposuresTotal(a, 'ship')) + (await exposuresTotal(b, 'ship'));
    expect(exposures).toBeGreaterThan(0);

    const served = await Promise.all(
      Array.from({ length: 200 }, (_, i) => predict(i % 2 ? a : b, 'ship', `late-${i}`)),
    );
    expect(served.every((r) => r.status === 201 && r.arm === 'treatment' && r.experiment === 'ship')).toBe(
      true,
    );
    // Even without a user id: "ship it" never breaks the route.
    expect(await predict(a, 'ship', undefined)).toMatchObject({ status: 201, arm: 'treatment' });
    expect((await exposuresTotal(a, 'ship')) + (await exposuresTotal(b, 'ship'))).toBe(exposures);

    const rolledBack = await patch(a, 'ship', { status: 'rolled_back', reason: 'winner misbehaves' });
    expect(rolledBack.status).toBe(200);
    await waitFor(
      () => live(b, 'ship'),
      (e) => e.status === 'rolled_back',
    );
    const after = await Promise.all(
      Array.from({ length: 200 }, (_, i) => predict(i % 2 ? a : b, 'ship', `late-${i}`)),
    );
    expect(after.every((r) => r.status === 201 && r.arm === 'control')).toBe(true);
    expect((await exposuresTotal(a, 'ship')) + (await exposuresTotal(b, 'ship'))).toBe(exposures);

    await drained();
    const report = await b.get<{ arms: { exposures: number }[]; state: { status: string; since: string } }>(
      '/api/v1/experiments/ship/report',
    );
    expect(report.arms.reduce((n, x) => n + x.exposures, 0)).toBe(50);
    expect(report.state).toMatchObject({ status: 'rolled_back', since: expect.any(String) });
  });

  it('keeps the old definition serving through a broken file edit, and applies the fixed one once', async () => {
    const versionBefore = (await live(a, 'files')).live.version;
    await writeDoc(
      'files',
      '{ "id": "files", "status": "running", "route": { "path": "/files" }, "arms": [ ',
    );
    for (const gw of [a, b]) {
      await waitFor(
        () => gw.get<{ live: { file_errors: { file: string }[] } }>('/readyz'),
        (r) => r.live.file_errors.some((e) => e.file.endsWith('files.json')),
      );
      const metrics = await (await request(`${gw.url}/metrics`)).body.text();
      expect(metrics).toMatch(/^abgate_experiment_file_errors 1$/m);
      expect(await predict(gw, 'files', 'u1')).toMatchObject({ status: 201, experiment: 'files' });
    }
    expect(a.output()).toContain('experiment file is invalid');

    await writeDoc('files', doc('files', { traffic: 40 }));
    for (const gw of [a, b]) {
      await waitFor(
        () => live(gw, 'files'),
        (e) => e.traffic === 40,
      );
      await waitFor(
        () => gw.get<{ live: { file_errors: unknown[] } }>('/readyz'),
        (r) => r.live.file_errors.length === 0,
      );
    }
    const history = await a.get<{ history: { version: number; source: string; changes: string[] }[] }>(
      '/api/v1/experiments/files/history',
    );
    // Both gateways saw the file change; exactly one of them wrote it.
    expect(history.history.filter((h) => h.version > versionBefore)).toEqual([
      expect.objectContaining({ source: 'file', changes: ['traffic', 'file'] }),
    ]);
  });

  it('keeps the live state across a gateway restart (not the file)', async () => {
    expect(
      (await patch(a, 'restart', { traffic: 30, weights: { treatment: 3 }, reason: 'before restart' }))
        .status,
    ).toBe(200);
    expect(await b.stop()).toBe(0);
    b = await startOne();
    const state = await live(b, 'restart');
    expect(state).toMatchObject({ traffic: 30, live: { phase: 2 } });
    expect((state as unknown as { arms: { weight: number }[] }).arms.map((x) => x.weight)).toEqual([1, 3]);
  });

  it('reports from Redis directly with the live state and phase (abgate report --redis)', async () => {
    const r = await runCli([
      'report',
      'restart',
      '--redis',
      redis.url,
      '--experiments',
      dir,
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { arms: { weight: number }[]; state: Record<string, unknown> };
    expect(report.state).toMatchObject({ phase: 2, current_phase: 2, traffic: 30, status: 'running' });
    expect(report.arms.map((x) => x.weight)).toEqual([1, 3]);
  });

  it('reloads the folder on SIGHUP', async () => {
    a.child.kill('SIGHUP');
    await waitFor(
      async () => a.output(),
      (out) => out.includes('SIGHUP: reloading the experiments folder'),
    );
    expect(a.child.exitCode).toBeNull();
  });
});
