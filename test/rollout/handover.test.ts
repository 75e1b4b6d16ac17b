// One driver at a time, and a dead one is replaced: two gateway processes on one Redis; the one that
// drives the canary is killed (SIGKILL: no lease handed back) mid-rollout, the other takes the lease
// over and walks the remaining steps to the end, its clients seeing no failed request.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Report } from '../../src/reports/build-report.js';
import { RedisServer } from '../setup/redis-server.js';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway-process.js';
import { pollUntil, startLoad, startModel, type ModelUpstream } from './model-upstream.js';

let redis: RedisServer;
let control: ModelUpstream;
let treatment: ModelUpstream;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  control = await startModel();
  treatment = await startModel();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await Promise.all([control.close(), treatment.close()]);
  await redis.dispose();
});

const pidOf = (driver: string | null | undefined) => (driver ? Number(driver.split('/')[1]) : undefined);

it('hands the rollout over when the driving gateway dies, and the new driver finishes it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'abgate-exp-'));
  await writeFile(
    join(dir, 'handover.json'),
    JSON.stringify({
      id: 'handover',
      status: 'running',
      traffic: 0,
      route: { path: '/handover' },
      planned_users: 200,
      arms: [
        { name: 'control', upstream: control.url },
        { name: 'treatment', upstream: treatment.url },
      ],
      guardrails: [{ metric: 'abgate_errors', max_increase: 0.05 }],
      rollout: { steps: [10, 20, 30, 40, 50], step_interval: '1s', min_users_per_arm: 10 },
    }),
  );
  const env = {
    ABGATE_ROLLOUT_LEASE_MS: '600',
    ABGATE_GUARDRAIL_FLUSH_MS: '100',
    ABGATE_LIVE_CHECK_MS: '200',
    ABGATE_LOG_LEVEL: 'info',
  };
  for (let i = 0; i < 2; i++) gateways.push(await startGatewayProcess({ dir, redis: redis.url, env }));
  const [a, b] = gateways as [GatewayProcess, GatewayProcess];
  const report = (gw: GatewayProcess) => gw.get<Report>('/api/v1/experiments/handover/report');
  const loads = [a, b].map((gw) => startLoad(() => gw.url, '/handover', { concurrency: 3 }));

  // Mid-rollout: past the first step, with a driver named in the report.
  const mid = await pollUntil(
    () => report(a),
    (r) => (r.rollout?.step_index ?? -1) >= 1 && r.rollout?.state === 'stepping' && r.rollout.driver !== null,
    60_000,
    'the canary to reach its second step',
  );
  const driverPid = pidOf(mid.rollout!.driver);
  const [dead, survivor] = driverPid === a.child.pid ? [a, b] : [b, a];
  expect(driverPid).toBe(dead.child.pid);
  const stepAtKill = mid.rollout!.step_index;
  dead.child.kill('SIGKILL');
  const survivorLoad = loads[gateways.indexOf(survivor)]!;
  await loads[gateways.indexOf(dead)]!.stop();

  const taken = await pollUntil(
    () => report(survivor),
    (r) => pidOf(r.rollout?.driver) === survivor.child.pid || r.rollout?.state === 'concluded',
    20_000,
    'the surviving gateway to take the lease over',
  );
  expect(taken.rollout!.state === 'concluded' || pidOf(taken.rollout!.driver) === survivor.child.pid).toBe(
    true,
  );
  const done = await pollUntil(
    () => report(survivor),
    (r) =>
      (r.rollout?.state === 'concluded' || r.rollout?.state === 'rolled_back') &&
      r.state.status === r.rollout.state,
    60_000,
    'the rollout to end',
  );
  await survivorLoad.stop();
  expect(done.rollout!.state).toBe('concluded');
  expect(done.state).toMatchObject({ status: 'concluded', winner: 'treatment' });
  const { history } = await survivor.get<{ history: { actor: string; after: { traffic: number } }[] }>(
    '/api/v1/experiments/handover/history',
  );
  const entries = history.filter((h) => h.actor === 'rollout');
  // Every step once, in order, whoever drove it: nothing skipped or repeated across the handover.
  expect(entries.map((h) => h.after.traffic)).toEqual([10, 20, 30, 40, 50, 50]);
  expect(stepAtKill).toBeLessThan(4);
  expect(survivorLoad.total()).toBeGreaterThan(50);
  expect(survivorLoad.failed()).toBe(0);
});
