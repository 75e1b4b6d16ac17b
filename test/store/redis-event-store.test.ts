// RedisEventStore specifics the contract cannot see: replay, keys, stream, script reloads, poison, outages.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AggregateQuery, OutcomeRecord } from '../../src/store/event-store.js';
import { journalFileName } from '../../src/store/journal/journal-names.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { planBatch } from '../../src/store/redis/batch-commands.js';
import { KeyLayout } from '../../src/store/redis/key-layout.js';
import { allScripts } from '../../src/store/redis/lua-scripts.js';
import { queuedEventCodec, type QueuedEvent } from '../../src/store/redis/queued-event.js';
import { readAggregatesFrom } from '../../src/store/redis/read-aggregates-from.js';
import { RedisEventStore, type RedisEventStoreOptions } from '../../src/store/redis/redis-event-store.js';
import { RedisServer } from '../setup/redis-server.js';
import { useSharedRedis } from '../setup/shared-redis.js';
import { seededRandom } from './seeded-random.js';

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
  clients.push(c);
  return c;
}

function openStore(options: RedisEventStoreOptions = {}): RedisEventStore {
  const journalDir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
  dirs.push(journalDir);
  const store = new RedisEventStore({
    url: redis.url(),
    keyPrefix: redis.uniquePrefix(),
    journalDir,
    outcomeWaitMs: 60_000,
    ...options,
  });
  stores.push(store);
  return store;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const prefixOf = (s: RedisEventStore) => (s as unknown as { o: { keyPrefix: string } }).o.keyPrefix;

/** Writes a journal file of an instance that is gone (no owner file): the next store claims it. */
function deadJournal(dir: string, events: readonly QueuedEvent[], owner = 'dead-gateway'): void {
  writeFileSync(
    join(dir, journalFileName({ orderKey: '000000000000001-000000000', sub: '1', owner })),
    events.map((e) => `${queuedEventCodec.encode(e)}\n`).join(''),
  );
}

const outcome = (userId: string, value: number, eventId?: string, experiment = 'exp-r'): OutcomeRecord => ({
  userId,
  metric: 'm',
  value,
  eventId,
  timestamp: 5,
  targets: [{ experiment, metricType: 'continuous' }],
});

describe('RedisEventStore on Redis', () => {
  it('changes nothing when a batch is replayed, and answers a replay as the first delivery', async () => {
    const prefix = redis.uniquePrefix();
    const keys = new KeyLayout(prefix);
    const c = client();
    for (const s of allScripts) await c.script('LOAD', s.source);
    const events: QueuedEvent[] = [
      { kind: 'exposure', experiment: 'exp-r', arm: 'a', userId: 'u1', timestamp: 1 },
      { kind: 'exposure', experiment: 'exp-r', arm: 'b', userId: 'u1', timestamp: 2 },
      {
        kind: 'outcome',
        deliveryId: 'd1',
        userId: 'u1',
        metric: 'm',
        value: 2.5,
        timestamp: 3,
        targets: [{ experiment: 'exp-r', metricType: 'continuous' }],
      },
      {
        kind: 'outcome',
        deliveryId: 'd2',
        userId: 'u1',
        metric: 'm',
        value: 1,
        eventId: 'e',
        timestamp: 3,
        targets: [{ experiment: 'exp-r', metricType: 'continuous' }],
      },
      {
        kind: 'outcome',
        deliveryId: 'd3',
        userId: 'u1',
        metric: 'm',
        value: 1,
        eventId: 'e',
        timestamp: 3,
        targets: [{ experiment: 'exp-r', metricType: 'continuous' }],
      },
      {
        kind: 'outcome',
        deliveryId: 'd4',
        userId: 'nobody',
        metric: 'm',
        value: 1,
        timestamp: 3,
        targets: [{ experiment: 'exp-r', metricType: 'continuous' }],
      },
    ];
    const plan = planBatch(events, {
      keys,
      dedupWindowSeconds: 60,
      replayWindowSeconds: 60,
      streamMaxLen: 100,
    });
    const snapshot = async () => ({
      stats: await c.hgetall(keys.experiment('exp-r').stats),
      values: await c.hgetall(keys.experiment('exp-r').values('m')),
      log: await c.xlen(keys.experiment('exp-r').log),
    });
    const first = (await c.pipeline(plan.commands).exec())!.map(([err, r]) => err ?? r);
    const after = await snapshot();
    const second = (await c.pipeline(plan.commands).exec())!.map(([err, r]) => err ?? r);
    expect(plan.commands.length).toBe(1); // one experiment: one script call
    expect(first).toEqual([[1, 2, 'a', 'a', 'd', 'u']]);
    expect(second).toEqual([[0, 0, 'a', 'a', 'd', 'u']]);
    expect(await snapshot()).toEqual(after);
    expect(after.stats).toEqual({
      'exposures:a': '1',
      'multiple-arm-users': '1',
      'users:a:m': '1',
      'sum:a:m': '3.5',
      'sumsq:a:m': '12.25',
    });
    expect(after.log).toBe(4); // first exposure, multi-arm sighting, two applied outcomes
  });

  it('keeps every key of an experiment under its hash tag', async () => {
    const store = openStore();
    const prefix = (store as unknown as { o: { keyPrefix: string } }).o.keyPrefix;
    store.recordExposure({ experiment: 'exp-k', arm: 'a', userId: 'u', timestamp: 1 });
    await store.recordOutcomes([outcome('u', 1, 'x', 'exp-k'), outcome('ghost', 1, undefined, 'exp-k')]);
    const keys = await client().keys(`${prefix}:*`);
    expect(keys.length).toBeGreaterThan(4);
    for (const key of keys) expect(key).toMatch(new RegExp(`^${prefix}:\\{(exp-k|~unattributed)\\}:`));
  });

  it('logs to the experiment stream unless streamMaxLen is 0', async () => {
    const withLog = openStore();
    const noLog = openStore({ streamMaxLen: 0 });
    for (const store of [withLog, noLog]) {
      store.recordExposure({ experiment: 'exp-s', arm: 'a', userId: 'u', timestamp: 1 });
      store.recordExposure({ experiment: 'exp-s', arm: 'a', userId: 'u', timestamp: 2 });
      await store.recordOutcomes([outcome('u', 1, 'e1', 'exp-s'), outcome('u', 1, 'e1', 'exp-s')]);
    }
    const prefixOf = (s: RedisEventStore) => (s as unknown as { o: { keyPrefix: string } }).o.keyPrefix;
    const c = client();
    const entries = await c.xrange(`${prefixOf(withLog)}:{exp-s}:log`, '-', '+');
    expect(entries.map(([, fields]) => fields[1])).toEqual(['exposure', 'outcome']);
    expect(await c.exists(`${prefixOf(noLog)}:{exp-s}:log`)).toBe(0);
  });

  it('reloads its scripts when the server forgot them (SCRIPT FLUSH)', async () => {
    const store = openStore();
    store.recordExposure({ experiment: 'exp-f', arm: 'a', userId: 'u', timestamp: 1 });
    expect(await store.flush(10_000)).toBe(true);
    await client().script('FLUSH');
    expect(await store.recordOutcomes([outcome('u', 4, undefined, 'exp-f')])).toEqual(['accepted']);
    const agg = await store.readAggregates({
      experiment: 'exp-f',
      arms: ['a'],
      metrics: [{ name: 'm', type: 'continuous' }],
    });
    expect(agg.arms[0]!.metrics.m).toEqual({ users: 1, sum: 4, sumSquares: 16, converted: 0 });
    expect(store.status().failedEvents).toBe(0);
  });

  it('gives up on an event Redis keeps rejecting, without holding back the ones around it', async () => {
    const errors: Error[] = [];
    const store = openStore({ maxAttempts: 2, onError: (e) => errors.push(e), outcomeWaitMs: 10_000 });
    const prefix = (store as unknown as { o: { keyPrefix: string } }).o.keyPrefix;
    await client().set(`${prefix}:{exp-bad}:values:poison`, 'not a hash'); // every write of this metric fails
    const records: OutcomeRecord[] = [];
    for (let i = 0; i < 6; i++) {
      store.recordExposure({ experiment: 'exp-bad', arm: 'a', userId: `u${i}`, timestamp: 1 });
      records.push({ ...outcome(`u${i}`, 1, undefined, 'exp-bad'), metric: i === 3 ? 'poison' : 'm' });
    }
    // Same experiment: the exposures and outcomes share one script call until the error isolates them.
    expect(await store.recordOutcomes(records)).toEqual([
      'accepted',
      'accepted',
      'accepted',
      'queued',
      'accepted',
      'accepted',
    ]);
    const agg = await store.readAggregates({
      experiment: 'exp-bad',
      arms: ['a'],
      metrics: [{ name: 'm', type: 'continuous' }],
    });
    expect(agg.arms[0]!.exposures).toBe(6);
    expect(agg.arms[0]!.metrics.m).toEqual({ users: 5, sum: 5, sumSquares: 5, converted: 0 });
    expect(store.status().failedEvents).toBe(1);
    expect(errors.some((e) => /WRONGTYPE/.test(e.message))).toBe(true);
  });

  it('never throws from recordExposure, even after close', async () => {
    const store = openStore();
    await store.close();
    expect(() =>
      store.recordExposure({ experiment: 'e', arm: 'a', userId: 'u', timestamp: 1 }),
    ).not.toThrow();
    expect(store.status().failedEvents).toBe(1);
    await expect(store.recordOutcomes([outcome('u', 1)])).rejects.toThrow(/closed/);
  });
});

describe('RedisEventStore while Redis is unreachable', () => {
  it("answers 'queued' at once, then applies the events when Redis comes back", async () => {
    const server = await RedisServer.start({ appendOnly: true });
    servers.push(server);
    const store = openStore({ url: server.url, reconnectMaxDelayMs: 100, outcomeWaitMs: 60_000 });
    store.recordExposure({ experiment: 'exp-q', arm: 'a', userId: 'u', timestamp: 1 });
    expect(await store.flush(10_000)).toBe(true);
    await server.stop();
    while (store.status().connected) await new Promise((r) => setTimeout(r, 10));
    // With a 60 s wait configured, only a known outage can make this answer come back now.
    expect(
      await store.recordOutcomes([outcome('u', 3, 'q1', 'exp-q'), outcome('u', 4, undefined, 'exp-q')]),
    ).toEqual(['queued', 'queued']);
    await expect(store.readAggregates({ experiment: 'exp-q', arms: ['a'], metrics: [] })).rejects.toThrow();
    expect(store.status().queueDepth).toBe(2);
    await server.restart();
    expect(await store.flush(30_000)).toBe(true);
    const agg = await store.readAggregates({
      experiment: 'exp-q',
      arms: ['a'],
      metrics: [{ name: 'm', type: 'continuous' }],
    });
    expect(agg.arms[0]!.metrics.m).toEqual({ users: 1, sum: 7, sumSquares: 49, converted: 0 });
  });
});

describe('RedisEventStore review fixes', () => {
  const query = (experiment: string, arms = ['a', 'b']): AggregateQuery => ({
    experiment,
    arms,
    metrics: [{ name: 'm', type: 'continuous' }],
  });

  it('keeps retrying, and drops nothing, while the server refuses writes for its own reasons (NOPERM)', async () => {
    const server = await RedisServer.start();
    servers.push(server);
    const errors: Error[] = [];
    const store = openStore({
      url: server.url,
      maxAttempts: 2,
      outcomeWaitMs: 100,
      onError: (e) => errors.push(e),
    });
    store.recordExposure({ experiment: 'exp-p', arm: 'a', userId: 'u0', timestamp: 1 });
    expect(await store.flush(10_000)).toBe(true);
    const admin = client(server.url);
    // A server-wide condition: every EVALSHA is refused (MISCONF, READONLY, NOAUTH… behave alike).
    await admin.call('ACL', 'SETUSER', 'default', '-evalsha');
    for (let i = 1; i <= 5; i++)
      store.recordExposure({ experiment: 'exp-p', arm: 'a', userId: `u${i}`, timestamp: 1 });
    const records = [0, 1, 2, 3, 4, 5].map((i) =>
      outcome(`u${i}`, i + 1, i % 2 ? `p${i}` : undefined, 'exp-p'),
    );
    expect(await store.recordOutcomes(records)).toEqual(records.map(() => 'queued'));
    await sleep(1500); // many attempts: maxAttempts is for the events' own faults only
    expect(store.status().failedEvents).toBe(0);
    expect(errors.some((e) => /NOPERM/.test(e.message))).toBe(true);
    await admin.call('ACL', 'SETUSER', 'default', '+@all');
    expect(await store.flush(15_000)).toBe(true);
    const agg = await store.readAggregates(query('exp-p', ['a']));
    expect(agg.arms[0]!.exposures).toBe(6);
    expect(agg.arms[0]!.metrics.m).toEqual({ users: 6, sum: 21, sumSquares: 91, converted: 0 });
    expect(store.status()).toMatchObject({ failedEvents: 0, queueDepth: 0 });
    expect(store.status().errors).toBeGreaterThan(2);
  });

  it('sums exactly like the in-memory store, tiny and non-binary values included', async () => {
    const store = openStore();
    const oracle = new MemoryEventStore();
    const rnd = seededRandom(11);
    for (let u = 0; u < 12; u++) {
      const e = { experiment: 'exp-sum', arm: u % 2 ? 'a' : 'b', userId: `s${u}`, timestamp: u };
      store.recordExposure(e);
      oracle.recordExposure(e);
    }
    const pool = [0.1, 0.7, 1e-6, 1e-20, -0.3, 1 / 3, 123456.789, 2.5e-12];
    const records: OutcomeRecord[] = [];
    for (let k = 1; k <= 300; k++) {
      const value = k % 3 === 0 ? 3e-9 * k : rnd.pick(pool);
      records.push({ ...outcome(`s${rnd.int(0, 11)}`, value, undefined, 'exp-sum') });
    }
    for (let i = 0; i < records.length; i += 50) {
      const chunk = records.slice(i, i + 50);
      expect(new Set(await store.recordOutcomes(chunk))).toEqual(new Set(['accepted']));
      await oracle.recordOutcomes(chunk);
    }
    expect(await store.readAggregates(query('exp-sum'))).toEqual(
      await oracle.readAggregates(query('exp-sum')),
    );
  });

  it('writes nothing when any operation of a script call is refused (validates before writing)', async () => {
    const prefix = redis.uniquePrefix();
    const keys = new KeyLayout(prefix);
    const c = client();
    for (const s of allScripts) await c.script('LOAD', s.source);
    const ctx = { keys, dedupWindowSeconds: 60, streamMaxLen: 100 };
    const events: QueuedEvent[] = [
      { kind: 'exposure', experiment: 'exp-v', arm: 'a', userId: 'u1', timestamp: 1 },
      {
        kind: 'outcome',
        deliveryId: 'ok',
        userId: 'u1',
        metric: 'm',
        value: 2,
        timestamp: 2,
        targets: [{ experiment: 'exp-v', metricType: 'continuous' }],
      },
      {
        kind: 'outcome',
        deliveryId: 'bad',
        userId: 'u1',
        metric: 'm',
        value: Number.NaN,
        timestamp: 3,
        targets: [{ experiment: 'exp-v', metricType: 'continuous' }],
      },
    ];
    const replies = await c.pipeline(planBatch(events, ctx).commands).exec();
    expect(replies?.length).toBe(1);
    expect(replies?.[0]?.[0]?.message).toMatch(/^ABGATE_BADEVENT /);
    expect(await c.keys(`${prefix}:*`)).toEqual([]);
  });

  it('keeps per-experiment order when a call of the batch fails and later ones succeed', async () => {
    const store = openStore({ maxAttempts: 2 });
    const prefix = prefixOf(store);
    store.recordExposure({ experiment: 'exp-o', arm: 'a', userId: 'v', timestamp: 1 });
    expect(await store.flush(10_000)).toBe(true);
    await client().set(`${prefix}:{exp-o}:values:poison`, 'not a hash'); // v's 'poison' outcome is refused
    // One batch: the refused outcome, then u's first exposure (arm a), another experiment, u again (arm b).
    const refused = store.recordOutcomes([{ ...outcome('v', 1, undefined, 'exp-o'), metric: 'poison' }]);
    store.recordExposure({ experiment: 'exp-o', arm: 'a', userId: 'u', timestamp: 2 });
    store.recordExposure({ experiment: 'exp-other', arm: 'a', userId: 'u', timestamp: 3 });
    store.recordExposure({ experiment: 'exp-o', arm: 'b', userId: 'u', timestamp: 4 });
    expect(await refused).toEqual(['queued']);
    expect(await store.flush(10_000)).toBe(true);
    const agg = await store.readAggregates({ experiment: 'exp-o', arms: ['a', 'b'], metrics: [] });
    expect(agg.arms.map((a) => [a.arm, a.exposures])).toEqual([
      ['a', 2],
      ['b', 0],
    ]);
    expect(agg.multipleArmUsers).toBe(1);
    expect(store.status().failedEvents).toBe(1);
  });

  it("answers 'queued' at once while a journal, or more than a batch, is queued ahead", async () => {
    const journalDir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
    dirs.push(journalDir);
    deadJournal(
      journalDir,
      Array.from({ length: 3000 }, (_, i) => ({
        kind: 'exposure' as const,
        experiment: 'exp-g',
        arm: 'a',
        userId: `j${i}`,
        timestamp: i,
      })),
    );
    const store = openStore({ journalDir, batchSize: 10, outcomeWaitMs: 60_000 });
    const started = Date.now();
    expect(await store.recordOutcomes([outcome('j1', 1, undefined, 'exp-g')])).toEqual(['queued']);
    expect(await store.flush(20_000)).toBe(true);
    for (let i = 0; i < 100; i++)
      store.recordExposure({ experiment: 'exp-g', arm: 'a', userId: `k${i}`, timestamp: i });
    expect(await store.recordOutcomes([outcome('k1', 1, undefined, 'exp-g')])).toEqual(['queued']);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await store.flush(20_000)).toBe(true);
    expect(await store.recordOutcomes([outcome('k2', 1, undefined, 'exp-g')])).toEqual(['accepted']);
    const agg = await store.readAggregates(query('exp-g', ['a']));
    expect(agg.arms[0]!.exposures).toBe(3100);
    expect(agg.arms[0]!.metrics.m!.users).toBe(3);
  });

  it('gives delivery markers the replay window and event-id markers the dedup window', async () => {
    const store = openStore({ dedupWindowSeconds: 1000, replayWindowSeconds: 50 });
    const prefix = prefixOf(store);
    store.recordExposure({ experiment: 'exp-t', arm: 'a', userId: 'u', timestamp: 1 });
    expect(
      await store.recordOutcomes([
        outcome('u', 1, 'evt', 'exp-t'),
        outcome('u', 2, undefined, 'exp-t'),
        outcome('ghost', 2, undefined, 'exp-t'),
      ]),
    ).toEqual(['accepted', 'accepted', 'unattributed']);
    const c = client();
    const ttls = async (pattern: string) => {
      const found = await c.keys(`${prefix}:${pattern}`);
      return Promise.all(found.sort().map((k) => c.ttl(k)));
    };
    const [eventMarker] = await ttls('{exp-t}:seen:evt');
    expect(eventMarker).toBeGreaterThan(990);
    const deliveryMarkers = await ttls('{exp-t}:seen:~*');
    expect(deliveryMarkers.length).toBe(3);
    for (const t of [...deliveryMarkers, ...(await ttls('{~unattributed}:seen:*'))]) {
      expect(t).toBeGreaterThan(0);
      expect(t).toBeLessThanOrEqual(50);
    }
  });

  it('never re-sends an outcome first sent longer ago than the replay window', async () => {
    const journalDir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
    dirs.push(journalDir);
    const sent = (deliveryId: string, value: number, sentAt?: number): QueuedEvent => ({
      kind: 'outcome',
      deliveryId,
      userId: 'u',
      metric: 'm',
      value,
      timestamp: 1,
      targets: [{ experiment: 'exp-w', metricType: 'continuous' }],
      ...(sentAt === undefined ? {} : { sentAt }),
    });
    const now = Date.now();
    deadJournal(journalDir, [
      { kind: 'exposure', experiment: 'exp-w', arm: 'a', userId: 'u', timestamp: 0 },
      sent('too-old', 1, now - 200_000), // its marker may be gone: a re-send could count it twice
      sent('recent', 2, now - 10_000),
      sent('never-sent', 4),
    ]);
    const store = openStore({ journalDir, replayWindowSeconds: 100 });
    expect(await store.flush(10_000)).toBe(true);
    const agg = await store.readAggregates(query('exp-w', ['a']));
    expect(agg.arms[0]!.metrics.m).toEqual({ users: 1, sum: 6, sumSquares: 36, converted: 0 });
    expect(store.status().failedEvents).toBe(1);
  });

  it('replays once after the dedup window passed: closed mid-replay, restarted 2.5 s later', async () => {
    const server = await RedisServer.start({ appendOnly: true });
    servers.push(server);
    const journalDir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
    dirs.push(journalDir);
    const settings = {
      url: server.url,
      keyPrefix: 'replay',
      journalDir,
      dedupWindowSeconds: 1,
      reconnectMaxDelayMs: 100,
    };
    const oracle = new MemoryEventStore();
    await server.stop();
    // 1. Redis is down: everything goes to the journal of the first gateway.
    const first = openStore({ ...settings, instanceId: 'first', queueLimit: 10, outcomeWaitMs: 0 });
    const rnd = seededRandom(5);
    for (let u = 0; u < 30; u++) {
      const e = { experiment: 'exp-j', arm: u % 2 ? 'a' : 'b', userId: `j${u}`, timestamp: u };
      first.recordExposure(e);
      oracle.recordExposure(e);
    }
    for (let i = 0; i < 1500; i++) {
      const user = rnd.next() < 0.05 ? 'ghost' : `j${rnd.int(0, 29)}`;
      const record = outcome(user, rnd.int(-80, 800) / 8, i % 2 ? `ev-${i}` : undefined, 'exp-j');
      await first.recordOutcomes([record]);
      await oracle.recordOutcomes([record]);
    }
    await first.close();
    await server.restart();
    // 2. A second gateway claims the journal and is closed while replaying it.
    const second = openStore({ ...settings, instanceId: 'second', batchSize: 40, closeTimeoutMs: 0 });
    while (second.status().replayedEvents < 400) await new Promise((r) => setImmediate(r));
    await second.close();
    expect(second.status().replayedEvents).toBeLessThan(1530);
    // 3. After every event-id marker expired, a third gateway finishes the replay.
    await sleep(2500);
    const third = openStore({ ...settings, instanceId: 'third' });
    expect(await third.flush(30_000)).toBe(true);
    expect(await third.readAggregates(query('exp-j'))).toEqual(await oracle.readAggregates(query('exp-j')));
    expect(await third.readUnattributed()).toEqual(await oracle.readUnattributed());
    expect(third.status().failedEvents + second.status().failedEvents).toBe(0);
    await third.close();
    expect(readdirSync(journalDir)).toEqual([]);
  });

  it('reads aggregates read-only with readAggregatesFrom (no journal, no queue)', async () => {
    const store = openStore();
    const keyPrefix = prefixOf(store);
    store.recordExposure({ experiment: 'exp-cli', arm: 'a', userId: 'u', timestamp: 1 });
    await store.recordOutcomes([
      outcome('u', 0.1, undefined, 'exp-cli'),
      outcome('u', 0.2, undefined, 'exp-cli'),
    ]);
    expect(await store.flush(10_000)).toBe(true);
    const q = query('exp-cli');
    expect(await readAggregatesFrom(redis.url(), q, { keyPrefix })).toEqual(await store.readAggregates(q));
    await expect(readAggregatesFrom('redis://127.0.0.1:1', q, { timeoutMs: 500 })).rejects.toThrow();
  });
});
