// RedisEventStore specifics the contract cannot see: replay, keys, stream, script reloads, poison, outages.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { OutcomeRecord } from '../../src/store/event-store.js';
import { planBatch } from '../../src/store/redis/batch-commands.js';
import { KeyLayout } from '../../src/store/redis/key-layout.js';
import { allScripts } from '../../src/store/redis/lua-scripts.js';
import type { QueuedEvent } from '../../src/store/redis/queued-event.js';
import { RedisEventStore, type RedisEventStoreOptions } from '../../src/store/redis/redis-event-store.js';
import { RedisServer } from '../setup/redis-server.js';
import { useSharedRedis } from '../setup/shared-redis.js';

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
    const plan = planBatch(events, { keys, dedupWindowSeconds: 60, streamMaxLen: 100 });
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
