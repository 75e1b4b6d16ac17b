// On a real Redis, every key the store's scripts touch is among the keys the call declared: MONITOR shows
// each EVALSHA (its KEYS) followed by the commands its script ran. This is what lets Redis Cluster answer
// ASK/TRYAGAIN while an experiment's slot migrates (see README "Redis Cluster", Resharding).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OutcomeRecord, OutcomeTarget } from '../../src/store/event-store.js';
import { RedisEventStore } from '../../src/store/redis/redis-event-store.js';
import { RedisServer } from '../setup/redis-server.js';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start();
});
afterAll(async () => {
  await server?.dispose();
});

/** The key of a command a script ran (every command the scripts use takes its key first). */
const keyOf = (args: readonly string[]) => args[0]!;

it('touches only declared keys: exposures, outcomes with ids and ratios, held outcomes, guardrails, the sweep', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
  const monitor = await new Redis(server.url).monitor();
  const calls: { command: string; declared: Set<string>; touched: string[] }[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const [name, ...rest] = args;
    if (/^eval(sha)?$/i.test(name!)) {
      const n = Number(rest[1]);
      calls.push({ command: name!, declared: new Set(rest.slice(2, 2 + n)), touched: [] });
    } else if (source === 'lua') {
      calls.at(-1)!.touched.push(`${name!.toUpperCase()} ${keyOf(rest)}`);
    }
  });
  let ahead = 0;
  const store = new RedisEventStore({
    url: server.url,
    keyPrefix: 't',
    journalDir: dir,
    outcomeWaitMs: 10_000,
    sweepIntervalMs: 50,
    attributionGraceMs: 60_000,
    now: () => Date.now() + ahead,
  });
  try {
    const spend: OutcomeTarget = {
      experiment: 'e1',
      metricType: 'continuous',
      ratios: [
        { name: 'spend-per-visit', role: 'numerator', other: { metric: 'visits', type: 'continuous' } },
      ],
    };
    const out = (userId: string, metric: string, target: OutcomeTarget, eventId?: string): OutcomeRecord => ({
      userId,
      metric,
      value: 2,
      eventId,
      timestamp: Date.now(),
      targets: [target],
    });
    const expose = (userId: string, arm: string, forced = false) =>
      store.recordExposure({ experiment: 'e1', arm, userId, timestamp: Date.now(), forced });
    expose('u1', 'a');
    expose('u2', 'b');
    expect(await store.recordOutcomes([out('u1', 'spend', spend, 'ev-1')])).toEqual(['accepted']);
    expect(await store.recordOutcomes([out('u1', 'spend', spend, 'ev-1')])).toEqual(['duplicate']);
    // Held before the exposure, of a metric the exposure's call does not name.
    const late: OutcomeTarget = { experiment: 'e1', metricType: 'continuous' };
    expect(await store.recordOutcomes([out('u3', 'late', late, 'ev-2')])).toEqual(['held']);
    expose('u3', 'a');
    expose('u1', 'b', true); // a forced sighting in another arm: seen in several arms
    store.recordGuardrail({
      experiment: 'e1',
      arm: 'a',
      userId: 'u1',
      errors: 0,
      latencyMs: 12,
      requests: 1,
      timestamp: Date.now(),
    });
    // Held and never exposed: the sweep makes it unattributed once its grace is over.
    expect(await store.recordOutcomes([out('u4', 'late', late)])).toEqual(['held']);
    expect(await store.flush(10_000)).toBe(true);
    ahead += 120_000;
    const query = {
      experiment: 'e1',
      arms: ['a', 'b'],
      metrics: [{ name: 'late', type: 'continuous' as const }],
    };
    const deadline = Date.now() + 10_000;
    while ((await store.readAggregates(query)).unattributed.late !== 1) {
      if (Date.now() > deadline) throw new Error('the sweep did not run');
      await new Promise((r) => setTimeout(r, 20));
    }
    const agg = await store.readAggregates(query);
    expect(agg.arms.find((a) => a.arm === 'a')!.metrics.late!.users).toBe(1); // u3's held outcome counted
    expect(agg.multipleArmUsers).toBe(1);
  } finally {
    await store.close();
    monitor.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
  const touched = calls.flatMap((c) => c.touched);
  // The run went through every kind of write: markers, ratio partners, held lists, guardrails, the sweep.
  for (const expected of [
    'SET t:{e1}:seen:ev-1',
    'HGET t:{e1}:p1:v:visits',
    'HSET t:{e1}:p1:held',
    'HDEL t:{e1}:p1:held',
    'HSET t:{e1}:p1:v:late',
    'HSET t:{e1}:p1:v:abgate_latency_ms',
    'SADD t:{e1}:p1:multi',
    'ZRANGEBYSCORE t:{e1}:p1:held-due',
    'XADD t:{e1}:log',
    'HSET t:{e1}:p1:hw',
    'HSET t:{e1}:meta',
  ]) {
    expect(touched).toContain(expected);
  }
  const undeclared = calls.flatMap((c) => c.touched.filter((t) => !c.declared.has(t.split(' ')[1]!)));
  expect(undeclared).toEqual([]);
});
