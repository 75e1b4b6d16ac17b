// Outage scenarios of RedisEventStore (frozen, killed, down across a gateway restart): exactly once.
// Run against a single redis-server (store-outage.test.ts) and a Redis Cluster (store-outage.cluster.test.ts).
//
// Each test feeds the same events to MemoryEventStore, the oracle, and compares every aggregate.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { RedisEventStore, type RedisEventStoreOptions } from '../../src/store/redis/redis-event-store.js';
import { Traffic, expectSameCounts } from '../store/traffic.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The Redis of one test: where to connect, and how to take it down. Writes it acknowledged survive kill(). */
export interface OutageTarget {
  /** url or clusterNodes, and a key prefix of the test's own. */
  connection(): Pick<RedisEventStoreOptions, 'url' | 'clusterNodes' | 'keyPrefix'>;
  /** Suspends every server (SIGSTOP): connections stay open, nothing is answered. */
  freeze(): void;
  thaw(): void;
  /** SIGKILL of every server. */
  kill(): Promise<void>;
  /** Brings every server back with its data, and resolves once it serves again. */
  restart(): Promise<void>;
}

const stores: RedisEventStore[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
  dirs.push(dir);
  return dir;
}

/** A store tuned to notice outages quickly. */
export function openStore(options: RedisEventStoreOptions): RedisEventStore {
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

export function describeStoreOutages(name: string, newTarget: () => Promise<OutageTarget>): void {
  describe(name, () => {
    it('counts every event once when the server freezes (SIGSTOP) and thaws', async () => {
      const server = await newTarget();
      const journalDir = tempDir();
      const store = openStore({ ...server.connection(), journalDir });
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
      const server = await newTarget();
      const journalDir = tempDir();
      const store = openStore({ ...server.connection(), journalDir });
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
      const server = await newTarget();
      const journalDir = tempDir();
      const store = openStore({ ...server.connection(), journalDir, queueLimit: 50, batchSize: 100 });
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
      const server = await newTarget();
      const journalDir = tempDir();
      const oracle = new MemoryEventStore();
      const traffic = new Traffic(3);

      const first = openStore({ ...server.connection(), journalDir, queueLimit: 50 });
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
      const second = openStore({ ...server.connection(), journalDir, queueLimit: 50 });
      for (let i = 0; i < 100; i++) await traffic.tick(second, oracle);
      await server.restart();
      await traffic.run(second, oracle, 300);

      await expectAllWrittenOnce(second, oracle, traffic);
      expect(second.status().replayedEvents).toBeGreaterThan(2000);
      expect(await second.close()).toEqual({ unsaved: 0 });
      expect(readdirSync(journalDir)).toEqual(['writer.json']);
    });
  });
}
