// Resharding under load: the slot of a busy experiment moves from one master to another while a
// RedisEventStore writes exposures and outcomes (with and without event_id) of several experiments. The
// migration pauses with the slot's keys split between the two masters (stats and values already on the
// target; meta, high-water marks, arms and dedup markers still on the source). Every script call declares
// every key it may touch, so Redis answers TRYAGAIN/ASK until one node has them all: the store holds the
// events in its journal meanwhile, and what it acknowledged equals what it counts, exactly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutcomeStatus } from '../../src/store/event-store.js';
import { RedisEventStore } from '../../src/store/redis/redis-event-store.js';
import { useRedisCluster } from '../setup/redis-cluster.js';
import { SlotMigration } from '../setup/slot-migration.js';

// One replica per master, for the run with WAIT 1 (ABGATE_REDIS_WAIT_REPLICAS).
const redis = useRedisCluster({ replicasPerMaster: 1 });
const BUSY = 'busy';
const METRICS = [
  { name: 'spend', type: 'continuous' }, // sent with an event_id, some of them twice
  { name: 'clicks', type: 'continuous' }, // no event_id: each acknowledged send counts
] as const;
const ACKNOWLEDGED: readonly OutcomeStatus[] = ['accepted', 'queued', 'held', 'duplicate'];

/** What the store acknowledged, per experiment: each user's arm and per-user sums. */
class StoreLedger {
  readonly arms = new Map<string, string>();
  readonly sums = { spend: new Map<string, number>(), clicks: new Map<string, number>() };
  readonly counted = new Set<string>();
  outcomes = 0;

  add(metric: 'spend' | 'clicks', user: string, value: number, eventId?: string): void {
    this.outcomes += 1;
    if (eventId !== undefined) {
      if (this.counted.has(eventId)) return;
      this.counted.add(eventId);
    }
    this.sums[metric].set(user, (this.sums[metric].get(user) ?? 0) + value);
  }
}

let journalDir: string;
let store: RedisEventStore;
let prefix: string;

function openStore(waitReplicas: number): void {
  journalDir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
  prefix = redis.uniquePrefix();
  store = new RedisEventStore({
    clusterNodes: redis.seedNodes(),
    keyPrefix: prefix,
    journalDir,
    waitReplicas,
    // Outcomes of the busy experiment wait in the journal during the migration: answer 'queued' soon.
    outcomeWaitMs: 100,
    sweepIntervalMs: 100,
  });
}

afterEach(async () => {
  if (store) expect(await store.close()).toEqual({ unsaved: 0 });
  if (journalDir) rmSync(journalDir, { recursive: true, force: true });
});

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(store.status())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('resharding under load', () => {
  // Each run moves the busy experiment's slot from the master that has it now to another one.
  it.each([0, 1])(
    'counts exactly what the store acknowledged while the busy experiment’s slot moves (WAIT %i)',
    async (waitReplicas) => {
      openStore(waitReplicas);
      const cluster = redis.cluster();
      // The calm experiments live on other masters than the busy one: nothing else shares its calls' node.
      const statsKey = `${prefix}:{${BUSY}}:p1:stats`;
      const from = await cluster.masterOf(statsKey);
      const calm: string[] = [];
      for (let i = 0; calm.length < 2; i++) {
        if ((await cluster.masterOf(`${prefix}:{calm-${i}}:p1:stats`)) !== from) calm.push(`calm-${i}`);
      }
      const EXPERIMENTS = [BUSY, ...calm];
      const ledgers = new Map(EXPERIMENTS.map((e) => [e, new StoreLedger()]));
      let stop = false;
      let failed: unknown;

      const outcome = async (
        experiment: string,
        user: string,
        metric: 'spend' | 'clicks',
        value: number,
        id?: string,
      ) => {
        const [status] = await store.recordOutcomes([
          {
            userId: user,
            metric,
            value,
            eventId: id,
            timestamp: Date.now(),
            targets: [{ experiment, metricType: 'continuous' }],
          },
        ]);
        if (!ACKNOWLEDGED.includes(status!)) throw new Error(`outcome of ${user} answered ${status}`);
        ledgers.get(experiment)!.add(metric, user, value, id);
      };
      // One client per experiment (two for the busy one): expose a user (sometimes after a first outcome,
      // which is then held), then send outcomes; some spend event_ids are sent again at once, some much
      // later (a client retrying late: the dedup marker may be on either master by then).
      const client = async (experiment: string, c: number) => {
        const ledger = ledgers.get(experiment)!;
        for (let n = 0; !stop; n++) {
          const user = `u${c}-${n % 40}`;
          const arm = n % 40 < 20 ? 'a' : 'b';
          if (n % 10 === 3 && !ledger.arms.has(user)) await outcome(experiment, user, 'clicks', 2);
          store.recordExposure({ experiment, arm, userId: user, timestamp: Date.now() });
          ledger.arms.set(user, arm);
          const id = `${experiment}-${c}-${n}`;
          await outcome(experiment, user, 'spend', (n % 7) + 1, id);
          if (n % 4 === 0) await outcome(experiment, user, 'spend', (n % 7) + 1, id); // a client retry
          if (n % 3 === 0) await outcome(experiment, user, 'clicks', 1);
          if (n % 5 === 1 && n >= 40) {
            const old = n - 37;
            await outcome(
              experiment,
              `u${c}-${old % 40}`,
              'spend',
              (old % 7) + 1,
              `${experiment}-${c}-${old}`,
            );
          }
        }
      };
      const running = Promise.all(
        [...EXPERIMENTS.map((e) => [e, 0] as const), [BUSY, 1] as const].map(([e, c]) =>
          client(e, c).catch((err: unknown) => {
            failed ??= err;
            stop = true;
          }),
        ),
      );
      const busy = ledgers.get(BUSY)!;
      const progress = (count: number) => () => {
        if (failed) throw failed;
        return busy.outcomes >= count;
      };
      await until(progress(200), 'load before the migration');

      const masters = await cluster.masterPorts();
      const to = masters.find((p) => p !== from)!;
      const migration = await SlotMigration.start(statsKey, from, to);
      // Split the experiment: its counters and values move first; meta, high-water marks, first arms and
      // dedup markers stay on the source for now.
      const first = (await migration.keysLeft()).filter((k) => /:p1:(stats|daily|v:)/.test(k));
      expect(first).toContain(statsKey);
      await migration.move(first);
      const errorsBefore = store.status().errors;
      const splitAt = busy.outcomes;
      // Load goes on with the slot split: the busy experiment's writes wait in the journal, the others'
      // are applied.
      await until(progress(splitAt + 100), 'load while the slot is split');
      await until(() => store.status().errors > errorsBefore, 'the split state to reach the write path');
      await migration.finish(masters);
      expect(await cluster.masterOf(statsKey)).toBe(to);
      const movedAt = busy.outcomes;
      await until(progress(movedAt + 200), 'load after the migration');
      stop = true;
      await running;
      if (failed) throw failed;

      expect(await store.flush(30_000)).toBe(true);
      expect(store.status().failedEvents).toBe(0);
      for (const [experiment, ledger] of ledgers) {
        const agg = await store.readAggregates({ experiment, arms: ['a', 'b'], metrics: METRICS });
        const arms = ['a', 'b'].map((arm) => {
          const users = [...ledger.arms].filter(([, a]) => a === arm).map(([u]) => u);
          const total = (m: 'spend' | 'clicks') =>
            users.reduce((s, u) => s + (ledger.sums[m].get(u) ?? 0), 0);
          return { arm, exposures: users.length, spend: total('spend'), clicks: total('clicks') };
        });
        const sumOf = (m: { users: number; shift: number; sum: number } | undefined) =>
          m ? Math.round((m.users * m.shift + m.sum) * 1e6) / 1e6 : 0;
        expect({
          experiment,
          arms: agg.arms.map((a) => ({
            arm: a.arm,
            exposures: a.exposures,
            spend: sumOf(a.metrics.spend),
            clicks: sumOf(a.metrics.clicks),
          })),
          multipleArmUsers: agg.multipleArmUsers,
          heldUsers: agg.heldUsers,
          unattributed: agg.unattributed,
        }).toEqual({
          experiment,
          arms,
          multipleArmUsers: 0,
          heldUsers: 0,
          unattributed: { spend: 0, clicks: 0 },
        });
      }
    },
  );
});
