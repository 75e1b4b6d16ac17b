// RedisEventStore specifics the contract cannot see: idempotent replay, keys, the log stream, script
// reloads, refused events, lost Redis data, replicas, the read-only reader.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AggregateQuery, OutcomeRecord } from '../../src/store/event-store.js';
import { Journal } from '../../src/store/journal/journal.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { queuedEventCodec, type QueuedEvent } from '../../src/store/redis/queued-event.js';
import { readAggregatesFrom } from '../../src/store/redis/read-aggregates-from.js';
import { RedisEventStore, type RedisEventStoreOptions } from '../../src/store/redis/redis-event-store.js';
import { RedisServer, type RedisServerOptions } from '../setup/redis-server.js';
import { useSharedRedis } from '../setup/shared-redis.js';
import { seededRandom } from './seeded-random.js';
import { Traffic, expectSameCounts } from './traffic.js';

const redis = useSharedRedis();
const clients: Redis[] = [];
const stores: RedisEventStore[] = [];
const dirs: string[] = [];
const servers: RedisServer[] = [];

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const c of clients.splice(0)) c.disconnect();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
});

function client(url = redis.url()): Redis {
  const c = new Redis(url);
  c.on('error', () => {}); // servers are stopped on purpose in some tests
  clients.push(c);
  return c;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
  dirs.push(d);
  return d;
}

function openStore(options: Partial<RedisEventStoreOptions> = {}): RedisEventStore {
  const store = new RedisEventStore({
    url: redis.url(),
    keyPrefix: redis.uniquePrefix(),
    journalDir: tempDir(),
    outcomeWaitMs: 60_000,
    ...options,
  });
  stores.push(store);
  return store;
}

async function ownServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const server = await RedisServer.start(options);
  servers.push(server);
  return server;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const prefixOf = (s: RedisEventStore) => (s as unknown as { o: { keyPrefix: string } }).o.keyPrefix;

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

const outcome = (userId: string, value: number, eventId?: string, experiment = 'exp-r'): OutcomeRecord => ({
  userId,
  metric: 'm',
  value,
  eventId,
  timestamp: 5,
  targets: [{ experiment, metricType: 'continuous' }],
});

const QUERY: AggregateQuery = {
  experiment: 'exp-r',
  arms: ['a', 'b'],
  metrics: [{ name: 'm', type: 'continuous' }],
};

/** Writes `events` to a journal slot as an earlier run would have left them, unacknowledged. */
async function leaveJournal(dir: string, events: readonly QueuedEvent[]): Promise<void> {
  const j = new Journal<QueuedEvent>({ dir, codec: queuedEventCodec });
  for (const e of events) j.append(e);
  await j.close(5000);
}

describe('RedisEventStore on Redis', () => {
  it('replays a journal any number of times, however late, and counts every event once', async () => {
    const dir = tempDir();
    const prefix = redis.uniquePrefix();
    const events: QueuedEvent[] = [
      { k: 'x', e: 'exp-r', p: 1, a: 'a', u: 'u1', t: 1 },
      { k: 'x', e: 'exp-r', p: 1, a: 'b', u: 'u2', t: 1 },
      { k: 'o', u: 'u1', m: 'm', v: 5, t: 2, to: [{ e: 'exp-r', p: 1, ty: 'c' }] },
      { k: 'o', u: 'u1', m: 'm', v: 3, id: 'ev-1', t: 2, to: [{ e: 'exp-r', p: 1, ty: 'c' }] },
      { k: 'o', u: 'u2', m: 'm', v: 4, t: 2, to: [{ e: 'exp-r', p: 1, ty: 'c' }] },
    ];
    await leaveJournal(dir, events);
    const segments = readdirSync(dir).filter((f) => f.endsWith('.log'));
    expect(segments).toHaveLength(1);
    const saved = join(tempDir(), 'segment');
    copyFileSync(join(dir, segments[0]!), saved);

    const first = openStore({ journalDir: dir, keyPrefix: prefix });
    expect(await first.flush(10_000)).toBe(true);
    expect(first.status().replayedEvents).toBe(5);
    const once = await first.readAggregates(QUERY);
    await first.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.log'))).toEqual([]);

    // A crash between Redis applying the batch and the file's deletion, found hours (or days) later:
    // the same file replays again. Redis remembers per writer what it applied, with no time limit.
    copyFileSync(saved, join(dir, segments[0]!));
    const again = openStore({ journalDir: dir, keyPrefix: prefix });
    expect(await again.flush(10_000)).toBe(true);
    expect(await again.readAggregates(QUERY)).toEqual(once);
    expect(
      once.arms.map((a) => [
        a.exposures,
        a.metrics.m!.users,
        a.metrics.m!.sum + a.metrics.m!.users * a.metrics.m!.shift,
      ]),
    ).toEqual([
      [1, 1, 8],
      [1, 1, 4],
    ]);
  });

  it('keeps every key of an experiment under its hash tag, with phase keys apart', async () => {
    const store = openStore();
    store.recordExposure({ experiment: 'exp-k', arm: 'a', userId: 'u', timestamp: 1 });
    store.recordExposure({ experiment: 'exp-k', phase: 2, arm: 'a', userId: 'u', timestamp: 1 });
    await store.recordOutcomes([outcome('u', 1, 'e1', 'exp-k')]);
    expect(await store.flush(5000)).toBe(true);
    const keys = await client().keys(`${prefixOf(store)}:*`);
    expect(keys.length).toBeGreaterThan(3);
    for (const k of keys) expect(k.startsWith(`${prefixOf(store)}:{exp-k}:`)).toBe(true);
    expect(keys.some((k) => k.includes(':p2:'))).toBe(true);
  });

  it('logs to the experiment stream unless streamMaxLen is 0', async () => {
    const on = openStore();
    const off = openStore({ streamMaxLen: 0 });
    for (const s of [on, off]) {
      s.recordExposure({ experiment: 'exp-log', arm: 'a', userId: 'u', timestamp: 1 });
      await s.recordOutcomes([outcome('u', 2, undefined, 'exp-log')]);
      expect(await s.flush(5000)).toBe(true);
    }
    const c = client();
    expect(await c.xlen(`${prefixOf(on)}:{exp-log}:log`)).toBe(2);
    expect(await c.exists(`${prefixOf(off)}:{exp-log}:log`)).toBe(0);
  });

  it('carries on when the server forgot its scripts (SCRIPT FLUSH)', async () => {
    const store = openStore();
    store.recordExposure({ experiment: 'exp-r', arm: 'a', userId: 'u1', timestamp: 1 });
    expect(await store.recordOutcomes([outcome('u1', 1)])).toEqual(['accepted']);
    await client().script('FLUSH');
    expect(await store.recordOutcomes([outcome('u1', 2)])).toEqual(['accepted']);
    expect(store.status().failedEvents).toBe(0);
  });

  it('gives up on an event Redis keeps refusing, without holding back the ones around it', async () => {
    const errors: Error[] = [];
    const store = openStore({ maxAttempts: 2, onError: (e) => errors.push(e) });
    // The values hash of metric "bad" is a string: every outcome for it is refused (WRONGTYPE).
    await client().set(`${prefixOf(store)}:{exp-r}:p1:v:bad`, 'not a hash');
    store.recordExposure({ experiment: 'exp-r', arm: 'a', userId: 'u1', timestamp: 1 });
    const bad: OutcomeRecord = { ...outcome('u1', 1), metric: 'bad' };
    const statuses = await store.recordOutcomes([outcome('u1', 1), bad, outcome('u1', 2)]);
    expect(statuses).toEqual(['accepted', 'refused', 'accepted']);
    expect(await store.flush(10_000)).toBe(true);
    expect(store.status().failedEvents).toBe(1);
    expect(errors.some((e) => /WRONGTYPE/.test(e.message))).toBe(true);
    const agg = await store.readAggregates(QUERY);
    expect(agg.arms[0]!.metrics.m!.users).toBe(1);
    expect(agg.arms[0]!.metrics.m!.sum + agg.arms[0]!.metrics.m!.shift).toBe(3);
  });

  it('has an exposure in its journal file when recordExposure returns (the answer follows in the same task)', () => {
    const dir = tempDir();
    const store = openStore({ journalDir: dir });
    store.recordExposure({ experiment: 'exp-w', arm: 'a', userId: 'written-first', timestamp: 1 });
    // Synchronously: no await between the call and the read, as no await separates it from the answer.
    const slot = readdirSync(dir).find((f) => f.startsWith('slot-')) ?? '.';
    const files = readdirSync(join(dir, slot)).filter((f) => f.endsWith('.log'));
    const text = files.map((f) => readFileSync(join(dir, slot, f), 'utf8')).join('');
    expect(text).toContain('written-first');
  });

  it('never throws from recordExposure, even after close', async () => {
    const store = openStore();
    await store.close();
    expect(() =>
      store.recordExposure({ experiment: 'exp-r', arm: 'a', userId: 'late', timestamp: 1 }),
    ).not.toThrow();
    expect(store.status().failedEvents).toBe(1);
    await expect(store.recordOutcomes([outcome('late', 1)])).rejects.toThrow(/shutting down/);
  });

  it('sums exactly like the in-memory store: bit for bit, days and held outcomes included', async () => {
    const store = openStore({ attributionGraceMs: 3_600_000 });
    const oracle = new MemoryEventStore({ attributionGraceMs: 3_600_000 });
    const traffic = new Traffic(11, 60);
    for (let i = 0; i < 150; i++) await traffic.tick(store, oracle, 3, 4);
    expect(await store.flush(10_000)).toBe(true);
    await traffic.settled();
    await expectSameCounts(store, oracle);
  });

  it('answers from the journal while a backlog is ahead, and applies everything in order', async () => {
    const store = openStore({ queueLimit: 50, batchSize: 20 });
    for (let i = 0; i < 500; i++) {
      store.recordExposure({ experiment: 'exp-r', arm: i % 2 ? 'a' : 'b', userId: `bk-${i}`, timestamp: 1 });
    }
    const statuses = await store.recordOutcomes([outcome('bk-499', 1), outcome('bk-0', 2)]);
    for (const s of statuses) expect(['queued', 'accepted']).toContain(s);
    expect(await store.flush(10_000)).toBe(true);
    const agg = await store.readAggregates(QUERY);
    expect(agg.arms.map((a) => a.exposures)).toEqual([250, 250]);
    expect(agg.arms.map((a) => a.metrics.m!.users)).toEqual([1, 1]);
  });

  it('gives event-id markers the dedup window', async () => {
    const store = openStore({ dedupWindowSeconds: 1234 });
    store.recordExposure({ experiment: 'exp-r', arm: 'a', userId: 'u1', timestamp: 1 });
    await store.recordOutcomes([outcome('u1', 1, 'ttl-1')]);
    const ttl = await client().ttl(`${prefixOf(store)}:{exp-r}:seen:ttl-1`);
    expect(ttl).toBeGreaterThan(1200);
    expect(ttl).toBeLessThanOrEqual(1234);
  });

  it('reads aggregates read-only with readAggregatesFrom (no journal, no queue)', async () => {
    const store = openStore();
    store.recordExposure({ experiment: 'exp-r', arm: 'b', userId: 'u1', timestamp: 1 });
    await store.recordOutcomes([outcome('u1', 4)]);
    expect(await store.flush(5000)).toBe(true);
    const direct = await readAggregatesFrom(redis.url(), QUERY, { keyPrefix: prefixOf(store) });
    expect(direct).toEqual(await store.readAggregates(QUERY));
  });
});

describe('RedisEventStore when Redis is away or loses data', () => {
  it("answers 'queued' once the outcomes are on disk, then applies them when Redis comes back", async () => {
    const server = await ownServer({ appendOnly: true });
    const store = openStore({ url: server.url, reconnectMaxDelayMs: 100, commandTimeoutMs: 300 });
    store.recordExposure({ experiment: 'exp-r', arm: 'a', userId: 'u1', timestamp: 1 });
    expect(await store.flush(5000)).toBe(true);
    await server.stop();
    await until(() => !store.status().connected);
    const started = Date.now();
    expect(await store.recordOutcomes([outcome('u1', 2), outcome('u1', 3)])).toEqual(['queued', 'queued']);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(store.status().queueDepth).toBe(2);
    await server.restart();
    expect(await store.flush(10_000)).toBe(true);
    const agg = await store.readAggregates(QUERY);
    expect(agg.arms[0]!.metrics.m!.sum + agg.arms[0]!.metrics.m!.shift).toBe(5);
  });

  it('keeps the journal across a restart while Redis is down, and replays it once Redis is back', async () => {
    const server = await ownServer();
    const dir = tempDir();
    await server.stop();
    const a = openStore({ url: server.url, journalDir: dir, keyPrefix: 'restart', reconnectMaxDelayMs: 100 });
    for (let i = 0; i < 30; i++)
      a.recordExposure({ experiment: 'exp-r', arm: 'a', userId: `r-${i}`, timestamp: 1 });
    expect(await a.recordOutcomes([outcome('r-1', 7)])).toEqual(['queued']);
    expect(await a.close()).toEqual({ unsaved: 0 });
    await server.restart();
    const b = openStore({ url: server.url, journalDir: dir, keyPrefix: 'restart' });
    expect(await b.flush(10_000)).toBe(true);
    expect(b.status().replayedEvents).toBe(31);
    const agg = await b.readAggregates(QUERY);
    expect(agg.arms[0]!.exposures).toBe(30);
    expect(agg.arms[0]!.metrics.m!.users).toBe(1);
  });

  it('exposes returning users again after Redis lost its data (restart without persistence)', async () => {
    const server = await ownServer();
    const errors: string[] = [];
    const store = openStore({
      url: server.url,
      reconnectMaxDelayMs: 100,
      onError: (e) => errors.push(e.message),
    });
    const expose = () => {
      for (let i = 0; i < 20; i++) {
        store.recordExposure({
          experiment: 'exp-r',
          arm: i % 2 ? 'a' : 'b',
          userId: `ret-${i}`,
          timestamp: 1,
        });
      }
    };
    expose();
    expect(await store.flush(5000)).toBe(true);
    await server.restart(); // no AOF, no RDB: everything is gone
    await until(() => store.status().connected);
    // The connection closed: the exposure cache is empty, so the returning users are exposed again at once
    // (the epoch would only tell at the experiment's next write, too late for exposures skipped before).
    expose();
    expect(await store.recordOutcomes([outcome('ret-3', 9)])).toEqual(['accepted']);
    expect(errors.some((m) => /lost the data of experiment "exp-r"/.test(m))).toBe(true);
    expect(await store.flush(5000)).toBe(true);
    const agg = await store.readAggregates(QUERY);
    expect(agg.arms.map((a) => a.exposures)).toEqual([10, 10]);
    expect(agg.arms[0]!.metrics.m!.users).toBe(1);
    expect(agg.heldUsers).toBe(0);
  });

  it('forgets journaled events only once a replica confirmed them (ABGATE_REDIS_WAIT_REPLICAS)', async () => {
    const primary = await ownServer();
    const replica = await ownServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    await until(async () => /master_link_status:up/.test(await client(replica.url).info('replication')));
    const store = openStore({ url: primary.url, waitReplicas: 1, waitTimeoutMs: 200, outcomeWaitMs: 2000 });
    store.recordExposure({ experiment: 'exp-r', arm: 'a', userId: 'w1', timestamp: 1 });
    expect(await store.recordOutcomes([outcome('w1', 2)])).toEqual(['accepted']);
    const onReplica = await readAggregatesFrom(replica.url, QUERY, { keyPrefix: prefixOf(store) });
    expect(onReplica.arms[0]!.exposures).toBe(1);

    await replica.stop(); // no replica confirms: events are applied on the primary but stay journaled
    expect(await store.recordOutcomes([outcome('w1', 3)])).toEqual(['queued']);
    expect(store.status().queueDepth).toBeGreaterThan(0);
    await replica.restart();
    expect(await store.flush(15_000)).toBe(true);
    const agg = await store.readAggregates(QUERY);
    // Re-sent while waiting for the replica, yet applied once.
    expect(agg.arms[0]!.metrics.m!.sum + agg.arms[0]!.metrics.m!.shift).toBe(5);
  });
});

describe('RedisEventStore under seeded traffic with a slow server', () => {
  it('applies each event once when calls time out and are sent again', async () => {
    const server = await ownServer();
    const store = openStore({
      url: server.url,
      commandTimeoutMs: 200,
      reconnectMaxDelayMs: 50,
      outcomeWaitMs: 100,
    });
    const oracle = new MemoryEventStore({ attributionGraceMs: 300_000 });
    const traffic = new Traffic(5, 80);
    const rnd = seededRandom(1);
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 25; i++) await traffic.tick(store, oracle, 2, 3);
      if (rnd.next() < 0.7) {
        server.freeze(); // calls in flight time out; some of them were applied
        await sleep(300);
        server.thaw();
      }
    }
    expect(await store.flush(20_000)).toBe(true);
    await traffic.settled();
    await expectSameCounts(store, oracle);
  });
});
