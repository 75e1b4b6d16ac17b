// A master of the Redis Cluster is killed under steady load through a gateway: its replica takes over
// and the report counts exactly what clients were told (journal + high-water marks: at-least-once sends,
// applied once). WAIT 1 makes an acknowledged write survive the failover (see README "Redis Cluster").
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { twoArmExperiment } from '../helpers/experiments.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { useRedisCluster } from '../setup/redis-cluster.js';
import { LEDGER_METRICS, Ledger } from './cluster-ledger.js';

// Two replicas per master: after the failover the new master still has a replica to confirm WAIT 1.
const redis = useRedisCluster({ replicasPerMaster: 2 });
const EXP = 'failover';

let upstreams: TestUpstream[] = [];
let gateway: TestGateway;
let journalDir: string;

beforeAll(async () => {
  upstreams = await Promise.all([startUpstream('control'), startUpstream('treatment')]);
  journalDir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
  gateway = await startGateway(
    [twoArmExperiment(EXP, [upstreams[0]!.url, upstreams[1]!.url], { metrics: LEDGER_METRICS })],
    { redisCluster: redis.cluster().seedSpec, redisWaitReplicas: 1, journalDir },
  );
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(upstreams.map((u) => u.close()));
  if (journalDir) rmSync(journalDir, { recursive: true, force: true });
});

const readyz = async () =>
  (await (await request(`${gateway.url}/readyz`)).body.json()) as {
    store: { queueDepth: number; connected: boolean; errors: number };
  };

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in time: ${JSON.stringify((await readyz()).store)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a master failover under load', () => {
  it('counts exactly what clients were told, with WAIT 1, after the replica takes over', async () => {
    const cluster = redis.cluster();
    const ledger = new Ledger(EXP);
    let stop = false;
    let n = 0;
    // Four clients: each predicts for a user, then sends that user 0–2 outcomes.
    const client = async (c: number) => {
      while (!stop) {
        const user = `u${c}-${n++ % 150}`;
        await ledger.predict(gateway.url, user);
        if (n % 2 === 0) await ledger.outcome([gateway.url], user, 'spend', (n % 7) + 1);
        if (n % 5 === 0) await ledger.outcome([gateway.url], user, 'buy', n % 3 === 0 ? 1 : 0);
      }
    };
    let failed: unknown;
    const running = Promise.all(
      [0, 1, 2, 3].map((c) =>
        client(c).catch((err: unknown) => {
          failed ??= err;
          stop = true;
        }),
      ),
    );
    const progress = (count: number) => async () => {
      if (failed) throw failed;
      return ledger.outcomes >= count;
    };
    await until(progress(100));

    const before = ledger.outcomes;
    const killed = await cluster.killMasterOf(`abgate:{${EXP}}:meta`);
    // Load goes on through the promotion (writes of the slot wait in the journal meanwhile) and after it.
    await until(progress(before + 150));
    expect(await cluster.masterOf(`abgate:{${EXP}}:meta`)).not.toBe(killed);
    stop = true;
    await running;
    if (failed) throw failed;

    await until(async () => (await readyz()).store.queueDepth === 0);
    await ledger.expectReportMatches(gateway.url);
    expect(ledger.predictions).toBeGreaterThan(150);
    // The failover did reach the write path (CLUSTERDOWN / closed connection while the slot had no master).
    expect((await readyz()).store.errors).toBeGreaterThan(0);
  });
});
