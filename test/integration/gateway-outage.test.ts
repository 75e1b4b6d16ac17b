// Issue 3's done-when through the real gateway: a Redis outage (20 s by default) under steady
// prediction and outcome traffic fails no prediction and loses no event; every exposure and
// outcome is counted exactly once after Redis returns (AOF on, so the restart keeps what was written).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../setup/redis-server.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { twoArmExperiment } from '../helpers/experiments.js';

/** Outage length; ABGATE_TEST_OUTAGE_S shortens it for local runs. */
const OUTAGE_MS = Number(process.env.ABGATE_TEST_OUTAGE_S ?? 20) * 1000;

let redis: RedisServer;
let a: TestUpstream;
let b: TestUpstream;
let gw: TestGateway;
const dispatcher = new Agent({ connections: 16 });

beforeAll(async () => {
  redis = await RedisServer.start({ appendOnly: true });
  [a, b] = await Promise.all([startUpstream('control'), startUpstream('treatment')]);
  gw = await startGateway(
    [
      twoArmExperiment('outage', [a.url, b.url], {
        route: { path: '/predict' },
        metrics: [
          { name: 'spend', type: 'continuous' },
          { name: 'converted', type: 'binomial' },
        ],
      }),
    ],
    // A small memory queue, so the outage also spills to the on-disk journal.
    { redisUrl: redis.url, queueLimit: 500, journalDir: mkdtempSync(join(tmpdir(), 'abgate-journal-')) },
  );
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await dispatcher.close();
  await Promise.all([a?.close(), b?.close()]);
  await redis?.dispose();
});

interface Oracle {
  exposures: Record<string, number>;
  spend: Record<string, { users: number; sum: number; sumSquares: number }>;
  converted: Record<string, number>;
}

describe('Redis outage under steady traffic', () => {
  it(
    'fails no prediction and counts every event exactly once',
    async () => {
      const oracle: Oracle = {
        exposures: { control: 0, treatment: 0 },
        spend: {
          control: { users: 0, sum: 0, sumSquares: 0 },
          treatment: { users: 0, sum: 0, sumSquares: 0 },
        },
        converted: { control: 0, treatment: 0 },
      };
      const failures: string[] = [];
      const outcomeAnswers = { accepted: 0, queued: 0, other: 0 };
      let n = 0;
      let running = true;

      // One simulated user per iteration: a prediction, then two outcomes (one retried by event_id).
      async function user(i: number) {
        const id = `user-${i}`;
        const res = await request(`${gw.url}/predict`, { headers: { 'x-user-id': id }, dispatcher });
        await res.body.dump();
        if (res.statusCode !== 201) {
          failures.push(`${id}: ${res.statusCode}`);
          return;
        }
        const arm = String(res.headers['x-abgate-arm']);
        oracle.exposures[arm]!++;
        const spend = (i % 13) + 0.5;
        const events = [
          { user_id: id, metric: 'spend', value: spend / 2 },
          { user_id: id, metric: 'spend', value: spend / 2, event_id: `${id}-s2` },
          { user_id: id, metric: 'spend', value: spend / 2, event_id: `${id}-s2` }, // retry: counted once
          ...(i % 3 === 0 ? [{ user_id: id, metric: 'converted', event_id: `${id}-c` }] : []),
        ];
        const o = await request(`${gw.url}/api/v1/outcomes`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(events),
          dispatcher,
        });
        const body = (await o.body.json()) as {
          accepted: number;
          queued: number;
          duplicates: number;
          rejected: unknown[];
        };
        if (o.statusCode !== 202 || body.rejected.length > 0)
          failures.push(`${id} outcomes: ${o.statusCode}`);
        outcomeAnswers.accepted += body.accepted;
        outcomeAnswers.queued += body.queued;
        const s = oracle.spend[arm]!;
        s.users++;
        s.sum += spend;
        s.sumSquares += spend * spend;
        if (i % 3 === 0) oracle.converted[arm]!++;
      }

      const traffic = (async () => {
        while (running) {
          const batch = Array.from({ length: 4 }, () => user(n++));
          await Promise.all(batch);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();

      await new Promise((r) => setTimeout(r, 1500));
      await redis.kill();
      const usersBeforeOutage = n;
      await new Promise((r) => setTimeout(r, OUTAGE_MS));
      const usersDuringOutage = n - usersBeforeOutage;
      await redis.restart();
      await new Promise((r) => setTimeout(r, 1500));
      running = false;
      await traffic;

      expect(failures).toEqual([]);
      expect(usersDuringOutage).toBeGreaterThan(100);
      expect(outcomeAnswers.queued).toBeGreaterThan(0);

      // Wait for the backlog (memory and journal) to drain into Redis.
      const store = gw.gateway.services.store;
      const deadline = Date.now() + 60_000;
      while ((store.status().queueDepth > 0 || store.status().journalBytes > 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const status = store.status();
      expect(status).toMatchObject({ connected: true, queueDepth: 0, journalBytes: 0, failedEvents: 0 });
      expect(status.replayedEvents).toBeGreaterThan(0);

      const agg = await store.readAggregates({
        experiment: 'outage',
        arms: ['control', 'treatment'],
        metrics: [
          { name: 'spend', type: 'continuous' },
          { name: 'converted', type: 'binomial' },
        ],
      });
      for (const arm of agg.arms) {
        expect(arm.exposures, arm.arm).toBe(oracle.exposures[arm.arm]);
        const spend = arm.metrics.spend!;
        const want = oracle.spend[arm.arm]!;
        expect(spend.users).toBe(want.users);
        // Shifted sums back to Σx and Σx² (the values are small: no precision at stake here).
        const sum = spend.sum + spend.users * spend.shift;
        const sumSquares = spend.sumSquares + 2 * spend.shift * spend.sum + spend.users * spend.shift ** 2;
        expect(sum).toBeCloseTo(want.sum, 6);
        expect(sumSquares).toBeCloseTo(want.sumSquares, 4);
        expect(arm.metrics.converted!.sum).toBe(oracle.converted[arm.arm]);
      }
      expect(agg.multipleArmUsers).toBe(0);
      console.info(
        `outage ${OUTAGE_MS / 1000} s: ${n} users (${usersDuringOutage} during the outage), ${outcomeAnswers.queued} outcomes answered "queued", ${status.replayedEvents} events replayed`,
      );
      expect(oracle.exposures.control! + oracle.exposures.treatment!).toBe(n);
    },
    OUTAGE_MS + 120_000,
  );
});
