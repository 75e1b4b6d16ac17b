// RedisEventStore through real redis-server outages (frozen, killed, down across a restart): exactly once.
//
// Each test feeds the same events to MemoryEventStore, the oracle, and compares every aggregate.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { RedisEventStore, type RedisEventStoreOptions } from '../../src/store/redis/redis-event-store.js';
import { RedisServer } from '../setup/redis-server.js';
import { useSharedRedis } from '../setup/shared-redis.js';
import { seededRandom } from '../store/seeded-random.js';
import { Traffic, expectSameCounts } from '../store/traffic.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const servers: RedisServer[] = [];
const stores: RedisEventStore[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function ownServer(): Promise<RedisServer> {
  const server = await RedisServer.start({ appendOnly: true });
  servers.push(server);
  return server;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
  dirs.push(dir);
  return dir;
}

/** A store tuned to notice outages quickly. */
function openStore(options: RedisEventStoreOptions): RedisEventStore {
  const store = new RedisEventStore({
    keyPrefix: 'outage',
    commandTimeoutMs: 300,
    healthCheckIntervalMs: 100,
    reconnectMaxDelayMs: 200,
    outcomeWaitMs: 200,
    ...options,
  });
  stores.push(store);
  return store;
}

/** Samples `connected` until stopped; tells whether the store ever saw itself disconnected. */
function watchConnected(store: RedisEventStore): () => boolean {
  let sawDown = false;
  const timer = setInterval(() => {
    if (!store.status().connected) sawDown = true;
  }, 20);
  return () => {
    clearInterval(timer);
    return sawDown;
  };
}

async function expectAllWrittenOnce(store: RedisEventStore, oracle: MemoryEventStore, traffic: Traffic) {
  expect(await store.flush(30_000)).toBe(true);
  const statuses = await traffic.settled();
  expect(statuses.length).toBe(traffic.outcomes);
  await expectSameCounts(store, oracle);
  const status = store.status();
  expect(status.failedEvents).toBe(0);
  expect(status.queueDepth).toBe(0);
  expect(status.journalBytes).toBe(0);
}

describe('RedisEventStore through outages', () => {
  it('counts every event once when the server freezes (SIGSTOP) and thaws', async () => {
    const server = await ownServer();
    const journalDir = tempDir();
    const store = openStore({ url: server.url, journalDir });
    const oracle = new MemoryEventStore();
    const traffic = new Traffic(1);
    const stopWatching = watchConnected(store);

    // Dense outcome requests: the batch caught in flight holds many outcomes without event_id.
    const running = traffic.run(store, oracle, 4000, 4, 20);
    await sleep(700);
    server.freeze();
    await sleep(2000);
    expect(store.status().connected).toBe(false);
    expect(store.status().queueDepth).toBeGreaterThan(0);
    server.thaw();
    await running;

    expect(stopWatching()).toBe(true);
    await expectAllWrittenOnce(store, oracle, traffic);
    expect(store.status().errors).toBeGreaterThan(0);
    expect(await store.close()).toEqual({ unsaved: 0 });
    expect(readdirSync(journalDir)).toEqual(['writer.json']);
  });

  it('counts every event once when the server is killed (SIGKILL) and restarted', async () => {
    const server = await ownServer();
    const journalDir = tempDir();
    const store = openStore({ url: server.url, journalDir });
    const oracle = new MemoryEventStore();
    const traffic = new Traffic(2);

    // Dense outcome requests: the batch caught in flight holds many outcomes without event_id.
    const running = traffic.run(store, oracle, 4000, 1, 20);
    await sleep(700);
    await server.kill();
    await sleep(1500);
    expect(store.status().connected).toBe(false);
    await server.restart();
    await running;

    await expectAllWrittenOnce(store, oracle, traffic);
    expect(await store.close()).toEqual({ unsaved: 0 });
    expect(readdirSync(journalDir)).toEqual(['writer.json']);
  });

  it('counts every event once when killed mid-stream while events keep arriving and spill to the journal', async () => {
    const server = await ownServer();
    const journalDir = tempDir();
    const store = openStore({ url: server.url, journalDir, queueLimit: 50, batchSize: 100 });
    const oracle = new MemoryEventStore();
    const traffic = new Traffic(4);

    // No flush before the kill: batches are in flight (applied or not, unacknowledged) when Redis dies.
    const running = traffic.run(store, oracle, 4000, 2, 10);
    await sleep(500);
    await server.kill();
    await sleep(1500);
    expect(store.status().connected).toBe(false);
    expect(store.status().journalBytes).toBeGreaterThan(0);
    await server.restart(); // AOF with appendfsync always: what Redis acknowledged survived
    await running;

    await expectAllWrittenOnce(store, oracle, traffic);
    expect(store.status().replayedEvents).toBeGreaterThan(0);
    expect(await store.close()).toEqual({ unsaved: 0 });
    expect(readdirSync(journalDir)).toEqual(['writer.json']);
  });

  it('journals past queueLimit, survives a gateway restart while Redis is down, and replays in order', async () => {
    const server = await ownServer();
    const journalDir = tempDir();
    const oracle = new MemoryEventStore();
    const traffic = new Traffic(3);

    const first = openStore({ url: server.url, journalDir, queueLimit: 50 });
    await traffic.run(first, oracle, 300);
    expect(await first.flush(10_000)).toBe(true);
    await server.kill();
    for (let i = 0; i < 400; i++) await traffic.tick(first, oracle); // 2,400 events while Redis is down
    expect(first.status().journalBytes).toBeGreaterThan(0);
    expect(await first.close()).toEqual({ unsaved: 0 });
    const left = readdirSync(journalDir);
    expect(left.filter((f) => f.endsWith('.log')).length).toBeGreaterThan(0);

    // The gateway comes back before Redis does: the slot's next run replays the old journal first and
    // keeps journaling behind it.
    const second = openStore({ url: server.url, journalDir, queueLimit: 50 });
    for (let i = 0; i < 100; i++) await traffic.tick(second, oracle);
    await server.restart();
    await traffic.run(second, oracle, 300);

    await expectAllWrittenOnce(second, oracle, traffic);
    expect(second.status().replayedEvents).toBeGreaterThan(2000);
    expect(await second.close()).toEqual({ unsaved: 0 });
    expect(readdirSync(journalDir)).toEqual(['writer.json']);
  });
});

describe('RedisEventStore at volume', () => {
  const redis = useSharedRedis();

  it('aggregates 100,000 outcomes of 10,000 users exactly', async () => {
    const journalDir = tempDir();
    // Redis stays up: wait for every answer rather than time out to 'queued'.
    const store = openStore({
      url: redis.url(),
      journalDir,
      keyPrefix: redis.uniquePrefix(),
      outcomeWaitMs: 60_000,
      // A call of 1,000 outcomes on a loaded 2-core machine may take over a second: a timeout would
      // re-send it (counted once, but answered 'queued'), which is not what this test is about.
      commandTimeoutMs: 20_000,
    });
    const rnd = seededRandom(2024);
    const arms = ['control', 'treatment'];
    const armOf: string[] = [];
    for (let u = 0; u < 10_000; u++) {
      armOf.push(rnd.pick(arms));
      store.recordExposure({ experiment: 'exp-volume', arm: armOf[u]!, userId: `v-${u}`, timestamp: u });
    }
    // 10,000 exposures are ten batches ahead: outcomes sent now would be answered 'queued' at once.
    expect(await store.flush(30_000)).toBe(true);
    const spend = new Map<number, number>();
    const converted = new Set<number>();
    const seenConvert = new Set<number>();
    for (let chunk = 0; chunk < 100; chunk++) {
      const records = Array.from({ length: 1000 }, () => {
        const u = rnd.int(0, 9999);
        if (rnd.next() < 0.7) {
          const value = rnd.int(-1600, 16_000) / 16;
          spend.set(u, (spend.get(u) ?? 0) + value);
          return { metric: 'spend', metricType: 'continuous' as const, u, value };
        }
        const value = rnd.next() < 0.2 ? 1 : 0;
        seenConvert.add(u);
        if (value === 1) converted.add(u);
        return { metric: 'convert', metricType: 'binomial' as const, u, value };
      });
      const statuses = await store.recordOutcomes(
        records.map((r) => ({
          userId: `v-${r.u}`,
          metric: r.metric,
          value: r.value,
          timestamp: chunk,
          targets: [{ experiment: 'exp-volume', metricType: r.metricType }],
        })),
      );
      expect(statuses.filter((s) => s !== 'accepted').slice(0, 3), `chunk ${chunk}`).toEqual([]);
    }
    expect(await store.flush(30_000)).toBe(true);

    const agg = await store.readAggregates({
      experiment: 'exp-volume',
      arms,
      metrics: [
        { name: 'spend', type: 'continuous' },
        { name: 'convert', type: 'binomial' },
      ],
    });
    for (const arm of agg.arms) {
      const inArm = (u: number) => armOf[u] === arm.arm;
      const totals = [...spend].filter(([u]) => inArm(u)).map(([, total]) => total);
      const sum = totals.reduce((a, b) => a + b, 0);
      const mean = sum / totals.length;
      const centered = totals.reduce((a, x) => a + (x - mean) ** 2, 0);
      const conv = [...converted].filter(inArm).length;
      expect(arm.exposures).toBe(armOf.filter((a) => a === arm.arm).length);
      const got = arm.metrics.spend!;
      expect(got.users).toBe(totals.length);
      // Σx from the store's mean: exact to rounding (relative 1e-12).
      expect(Math.abs(got.sum + got.users * got.shift - sum)).toBeLessThanOrEqual(1e-12 * Math.abs(sum));
      expect(got.sumSquares - (got.sum * got.sum) / got.users).toBeCloseTo(centered, 3);
      expect(arm.metrics.convert).toEqual({
        users: [...seenConvert].filter(inArm).length,
        shift: 0,
        sum: conv,
        sumSquares: conv,
      });
    }
    expect(store.status().failedEvents).toBe(0);
  });
});
