// Three gateway processes (`abgate serve` from source) on one Redis Cluster: predictions spread over
// them, each outcome sent to another gateway than its exposure, milliseconds later. The report counts
// exactly what clients were told, with 0 unattributed (cross-process attribution holds on a cluster).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, waitFor, type GatewayProcess } from '../helpers/gateway-process.js';
import { experimentsDir, twoArmExperiment } from '../helpers/experiments.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { useRedisCluster } from '../setup/redis-cluster.js';
import { LEDGER_METRICS, Ledger } from './cluster-ledger.js';

const redis = useRedisCluster();
// Experiments in different slots, so the three masters all take writes.
const IDS = ['spread-a', 'spread-b', 'spread-c'];

let upstreams: TestUpstream[] = [];
let gateways: GatewayProcess[] = [];

beforeAll(async () => {
  upstreams = await Promise.all([startUpstream('control'), startUpstream('treatment')]);
  const urls: [string, string] = [upstreams[0]!.url, upstreams[1]!.url];
  const dir = await experimentsDir(IDS.map((id) => twoArmExperiment(id, urls, { metrics: LEDGER_METRICS })));
  const cluster = redis.cluster();
  // ABGATE_REDIS_CLUSTER wins over --redis (which the helper always passes: here a seed node's URL).
  gateways = await Promise.all(
    [0, 1, 2].map(() =>
      startGatewayProcess({
        dir,
        redis: `redis://${cluster.seedNodes[0]!}`,
        env: { ABGATE_REDIS_CLUSTER: cluster.seedSpec },
      }),
    ),
  );
}, 90_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await Promise.all(upstreams.map((u) => u.close()));
});

describe('three gateways on one Redis Cluster', () => {
  it('counts every prediction and outcome exactly once, attributed across gateways', async () => {
    const cluster = redis.cluster();
    const slots = new Set(await Promise.all(IDS.map((id) => cluster.masterOf(`abgate:{${id}}:meta`))));
    expect(slots.size).toBe(3);
    const ledgers = IDS.map((id) => new Ledger(id));
    const urls = gateways.map((g) => g.url);
    // Eight clients; client c predicts on gateway c % 3 and sends the outcomes to the next gateway.
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        const home = urls[c % 3]!;
        const other = urls[(c + 1) % 3]!;
        for (let i = 0; i < 60; i++) {
          const ledger = ledgers[i % 3]!;
          const user = `c${c}-u${i % 25}`;
          await ledger.predict(home, user);
          await ledger.outcome([other], user, 'spend', (i % 5) + 1);
          if (i % 4 === 0) await ledger.outcome([other], user, 'buy', i % 8 === 0 ? 1 : 0);
        }
      }),
    );
    for (const g of gateways) {
      await waitFor(
        () => g.get<{ store: { queueDepth: number; connected: boolean } }>('/readyz'),
        (r) => r.store.queueDepth === 0 && r.store.connected,
        20_000,
      );
    }
    // Outcomes did overtake their exposure (sent to the other gateway ms after the prediction).
    expect(ledgers.reduce((n, l) => n + l.held, 0)).toBeGreaterThan(0);
    for (const [i, ledger] of ledgers.entries()) {
      expect(ledger.outcomes).toBeGreaterThan(100);
      // Each gateway's report reads the same cluster: ask a different one per experiment.
      await ledger.expectReportMatches(urls[i]!);
    }
  });
});
