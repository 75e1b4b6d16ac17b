// abgate v1 keys (no phases, raw sums) → phase 1 of v2, recomputed exactly from the users' values.
// Run on a single Redis (migrate-v1.test.ts) and on a Redis Cluster (migrate-v1.cluster.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KeyLayout } from '../../src/store/redis/key-layout.js';
import { migrateExperiment, type MigratedExperiment } from '../../src/store/redis/migrate-v1.js';
import { RedisEventStore, type RedisEventStoreOptions } from '../../src/store/redis/redis-event-store.js';
import { seededRandom } from './seeded-random.js';

type Client = Redis | Cluster;

/** The Redis of the suite: new clients, how the store connects, fresh key prefixes. */
export interface MigrationTarget {
  client(): Client;
  connection(): Pick<RedisEventStoreOptions, 'url' | 'clusterNodes'>;
  uniquePrefix(): string;
}

const EXP: MigratedExperiment = {
  id: 'legacy',
  metrics: [
    { name: 'revenue', type: 'continuous', cap: 500 },
    { name: 'click', type: 'binomial' },
    { name: 'sessions', type: 'continuous' },
  ],
  ratios: [{ name: 'rps', numerator: 'revenue', denominator: 'sessions' }],
};

/** Writes what abgate v1 would have left for 200 users; returns each user's arm and values. */
async function v1Data(c: Client, keys: KeyLayout) {
  const rnd = seededRandom(17);
  const v1 = keys.v1(EXP.id);
  const users = new Map<string, { arm: string; revenue?: number; click?: number; sessions?: number }>();
  for (let i = 0; i < 200; i++) {
    const u = { arm: rnd.pick(['control', 'treatment']) } as {
      arm: string;
      revenue?: number;
      click?: number;
      sessions?: number;
    };
    if (rnd.next() < 0.5) u.revenue = rnd.int(0, 4000) / 4; // some above the cap of 500
    if (rnd.next() < 0.7) u.click = rnd.int(0, 1);
    if (rnd.next() < 0.6) u.sessions = rnd.int(1, 9);
    users.set(`user-${i}`, u);
  }
  const p = c.multi();
  for (const [id, u] of users) {
    p.hset(v1.arm, id, u.arm);
    if (u.revenue !== undefined) p.hset(`${v1.valuesPrefix}revenue`, id, String(u.revenue));
    if (u.click !== undefined) p.hset(`${v1.valuesPrefix}click`, id, String(u.click));
    if (u.sessions !== undefined) p.hset(`${v1.valuesPrefix}sessions`, id, String(u.sessions));
  }
  p.sadd(v1.multiArm, 'user-3', 'user-9');
  p.hset(v1.stats, 'exposures:control', '999', 'sum:control:revenue', '1e300'); // v1's (lossy) sums: ignored
  await p.exec();
  return users;
}

export function describeV1Migration(name: string, redis: MigrationTarget): void {
  const clients: Client[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  afterAll(() => {
    for (const c of clients) c.disconnect();
  });
  const client = (): Client => {
    const c = redis.client();
    clients.push(c);
    return c;
  };

  describe(name, () => {
    it('moves them to phase 1 and recomputes every sum from the users’ values; writes wait for it', async () => {
      const c = client();
      const prefix = redis.uniquePrefix();
      const keys = new KeyLayout(prefix);
      const users = await v1Data(c, keys);
      const journalDir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
      dirs.push(journalDir);
      const store = new RedisEventStore({
        ...redis.connection(),
        keyPrefix: prefix,
        journalDir,
        outcomeWaitMs: 60_000,
      });
      try {
        // Before the migration the apply script refuses the experiment: the event waits in the journal.
        store.recordExposure({ experiment: EXP.id, arm: 'control', userId: 'after-migration', timestamp: 1 });
        expect(await store.flush(500)).toBe(false);
        expect(await migrateExperiment(c, keys, EXP)).toBe('migrated');
        expect(await store.flush(10_000)).toBe(true);
        expect(await migrateExperiment(c, keys, EXP)).toBe('already');

        const agg = await store.readAggregates({
          experiment: EXP.id,
          phase: 1,
          arms: ['control', 'treatment'],
          metrics: EXP.metrics.map((m) => ({ name: m.name, type: m.type })),
          ratios: EXP.ratios,
        });
        expect(agg.multipleArmUsers).toBe(2);
        for (const a of agg.arms) {
          const inArm = [...users.values()].filter((u) => u.arm === a.arm);
          expect(a.exposures).toBe(inArm.length + (a.arm === 'control' ? 1 : 0));
          const rev = inArm.filter((u) => u.revenue !== undefined).map((u) => Math.min(u.revenue!, 500));
          const m = a.metrics.revenue!;
          expect(m.users).toBe(rev.length);
          expect(m.sum + m.users * m.shift).toBeCloseTo(
            rev.reduce((x, y) => x + y, 0),
            6,
          );
          const clicks = inArm.filter((u) => u.click !== undefined);
          expect(a.metrics.click).toEqual({
            users: clicks.length,
            shift: 0,
            sum: clicks.filter((u) => u.click === 1).length,
            sumSquares: clicks.filter((u) => u.click === 1).length,
          });
          const inRatio = inArm.filter((u) => u.revenue !== undefined || u.sessions !== undefined);
          const r = a.ratios.rps!;
          expect(r.users).toBe(inRatio.length);
          expect(r.sumD + r.users * r.shiftD).toBeCloseTo(
            inRatio.reduce((x, u) => x + (u.sessions ?? 0), 0),
            8,
          );
        }
        // v1's stats hash is gone; v1's other keys were renamed.
        expect(await c.exists(keys.v1(EXP.id).stats, keys.v1(EXP.id).arm)).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('migrates once when two gateways start together; a fresh experiment needs nothing', async () => {
      const c = client();
      const keys = new KeyLayout(redis.uniquePrefix());
      await v1Data(c, keys);
      const results = await Promise.all([
        migrateExperiment(c, keys, EXP),
        migrateExperiment(client(), keys, EXP),
      ]);
      expect(results.sort()).toEqual(['already', 'migrated']);
      expect(await migrateExperiment(c, keys, { id: 'brand-new', metrics: [] })).toBe('fresh');
    });
  });
}
