// Events/s written to Redis: awaited one by one, ioredis auto-pipelining, RedisEventStore, vs the ceiling.
//
// Run: node --import tsx bench/events.ts [--events 50000] [--sequential-events 10000] [--reps 5]
//      node --import tsx bench/events.ts --part cluster [--events 50000] [--writers 2] [--reps 5]
//        (RedisEventStore on 1 Redis vs a 3-master Redis Cluster: events/s and Redis CPU per event)
//      node --import tsx bench/events.ts --part journal [--events 50000] [--reps 5]
//        (the write-ahead journal alone: CPU per exposure append, durable events/s with group commit)
// Every mode writes the same thing per event (a first exposure through the store's apply script), so the
// differences are the cost of round trips and batching. Medians of --reps interleaved repetitions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { OutcomeRecord } from '../src/store/event-store.js';
import { planBatch } from '../src/store/redis/batch-plan.js';
import { KeyLayout } from '../src/store/redis/key-layout.js';
import type { QueuedEvent } from '../src/store/redis/queued-event.js';
import { RedisEventStore } from '../src/store/redis/redis-event-store.js';
import { defineStoreCommands, type StoreRedis } from '../src/store/redis/store-client.js';
import { RedisServer } from '../test/setup/redis-server.js';
import { summarizeRates, type RateSummary } from './lib/rate-stats.js';
import { measureRedisCeiling } from './lib/redis-ceiling.js';
import { measureJournalCost, printJournalCost } from './lib/journal-cost.js';
import { measureStoreScaling, printScaling } from './lib/store-scaling.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    'sequential-events': { type: 'string', default: '10000' },
    reps: { type: 'string', default: '5' },
    part: { type: 'string', default: 'modes' },
    writers: { type: 'string', default: '2' },
    experiments: { type: 'string', default: '12' },
  },
});
const EVENTS = Number(args.events);
const SEQUENTIAL_EVENTS = Number(args['sequential-events']);
const REPS = Number(args.reps);
const PREFIX = 'bench';
const ctx = {
  keys: new KeyLayout(PREFIX),
  writer: 'bench',
  dedupWindowSeconds: 86_400,
  graceMs: 300_000,
  streamMaxLen: 1_000_000,
  epochCandidate: 'bench',
  maxHeldPerUser: 100,
  now: Date.now(),
};
const APPLY_LUA = readFileSync(new URL('../src/store/redis/lua/apply.lua', import.meta.url), 'utf8');
const APPLY_SHA = createHash('sha1').update(APPLY_LUA).digest('hex');

/** The apply call RedisEventStore would send for this one exposure alone: [key, ...args]. */
function singleCall(experiment: string, i: number): [string, ...(string | number)[]] {
  const event: QueuedEvent = { k: 'x', e: experiment, p: 1, a: i % 2 ? 'a' : 'b', u: `user-${i}`, t: i };
  const call = planBatch([{ generation: 1, seq: i, event, attempts: 0 }], ctx).calls[0]!;
  return [call.key, ...call.args];
}

function exposure(experiment: string, i: number) {
  return { experiment, arm: i % 2 ? 'a' : 'b', userId: `user-${i}`, timestamp: i };
}

function revenue(experiment: string, i: number): OutcomeRecord {
  return {
    userId: `user-${i % 1000}`,
    metric: 'revenue',
    value: (i % 97) / 4,
    timestamp: i,
    targets: [{ experiment, metricType: 'continuous' }],
  };
}

/** A way of writing `n` events; resolves with the seconds to count when it times itself (setup excluded). */
type Mode = { n: number; run: (experiment: string, n: number) => Promise<number | void> };

/** Runs a mode and returns events per second. */
async function rate(mode: Mode, experiment: string): Promise<number> {
  const start = process.hrtime.bigint();
  const timed = await mode.run(experiment, mode.n);
  return mode.n / (timed ?? Number(process.hrtime.bigint() - start) / 1e9);
}

async function main(): Promise<void> {
  const server = await RedisServer.start();
  const journalDir = mkdtempSync(join(tmpdir(), 'abgate-bench-journal-'));
  const plain = new Redis(server.url);
  const auto = new Redis(server.url, { enableAutoPipelining: true });
  defineStoreCommands(plain);
  defineStoreCommands(auto);
  const plainApply = plain as unknown as StoreRedis;
  const autoApply = auto as unknown as StoreRedis;
  const store = new RedisEventStore({
    url: server.url,
    keyPrefix: PREFIX,
    journalDir,
    outcomeWaitMs: 60_000,
  });
  try {
    await plain.script('LOAD', APPLY_LUA);
    const modes: Record<string, Mode> = {
      'one command awaited at a time': {
        n: SEQUENTIAL_EVENTS,
        run: async (experiment, n) => {
          for (let i = 0; i < n; i++) {
            const [key, ...args] = singleCall(experiment, i);
            await plainApply.abgateApply(key, ...args);
          }
        },
      },
      'ioredis auto-pipelining': {
        n: EVENTS,
        run: async (experiment, n) => {
          const pending: Promise<unknown>[] = [];
          for (let i = 0; i < n; i++) {
            const [key, ...args] = singleCall(experiment, i);
            pending.push(autoApply.abgateApply(key, ...args));
          }
          await Promise.all(pending);
        },
      },
      'RedisEventStore (batched)': {
        n: EVENTS,
        run: async (experiment, n) => {
          for (let i = 0; i < n; i++) store.recordExposure(exposure(experiment, i));
          if (!(await store.flush(120_000))) throw new Error('the store did not drain');
        },
      },
    };
    modes['RedisEventStore, outcomes (continuous)'] = {
      n: EVENTS,
      run: async (experiment, n) => {
        for (let u = 0; u < 1000; u++) store.recordExposure(exposure(experiment, u));
        await store.flush(); // not timed: the users exist first
        const start = process.hrtime.bigint();
        const pending: Promise<unknown>[] = [];
        for (let i = 0; i < n; i += 1000) {
          pending.push(
            store.recordOutcomes(
              Array.from({ length: Math.min(1000, n - i) }, (_, k) => revenue(experiment, i + k)),
            ),
          );
        }
        await Promise.all(pending);
        if (!(await store.flush(120_000))) throw new Error('the store did not drain');
        return Number(process.hrtime.bigint() - start) / 1e9;
      },
    };
    const rates: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
    const ceilings: number[] = [];
    const scriptCeilings: number[] = [];
    // One first exposure per call, as (a) and (b) send, at redis-benchmark's pipelined rate.
    const [ceilingKey, ...ceilingArgs] = singleCall('exp-ceiling', 0);
    const scriptCommand = ['evalsha', APPLY_SHA, '1', ceilingKey, ...ceilingArgs.map(String)].map((a) =>
      a === 'user-0' ? 'user-__rand_int__' : a,
    );
    await store.flush(10_000);
    for (let rep = 0; rep < REPS; rep++) {
      for (const [name, mode] of Object.entries(modes)) {
        await plain.flushall();
        rates[name]!.push(await rate(mode, `exp-${rep}`));
      }
      await plain.flushall();
      ceilings.push(measureRedisCeiling({ port: server.port }));
      await plain.flushall();
      scriptCeilings.push(
        measureRedisCeiling({ port: server.port, requests: 200_000, command: scriptCommand }),
      );
      process.stderr.write(`rep ${rep + 1}/${REPS} done\n`);
    }
    if (store.status().failedEvents !== 0) throw new Error('the store failed events');
    printTable(
      [
        ...Object.entries(rates).map(([name, r]) => [name, summarizeRates(r)] as const),
        ['script ceiling: redis-benchmark EVALSHA -P 16', summarizeRates(scriptCeilings)] as const,
      ],
      summarizeRates(ceilings),
    );
  } finally {
    await store.close();
    plain.disconnect();
    auto.disconnect();
    await server.dispose();
    rmSync(journalDir, { recursive: true, force: true });
  }
}

function printTable(rows: readonly (readonly [string, RateSummary])[], ceiling: RateSummary): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const lines = [
    ['mode', 'events/s (median)', 'min', 'max', 'of ceiling'],
    ...rows.map(([name, s]) => [
      name,
      fmt(s.median),
      fmt(s.min),
      fmt(s.max),
      `${((s.median / ceiling.median) * 100).toFixed(1)}%`,
    ]),
    ['ceiling: redis-benchmark SET -P 16', fmt(ceiling.median), fmt(ceiling.min), fmt(ceiling.max), '100%'],
  ];
  const widths = lines[0]!.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  for (const [i, line] of lines.entries()) {
    console.log(
      line.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  console.log(
    `\n${EVENTS} events per run (${SEQUENTIAL_EVENTS} one-at-a-time), median of ${REPS} interleaved repetitions. ` +
      'Every event is a first exposure (HSETNX, HINCRBY, XADD in the apply script); the store runs up to ' +
      '100 of them per script call. The ceiling is plain SET.',
  );
}

async function clusterPart(): Promise<void> {
  const options = {
    events: EVENTS,
    writers: Number(args.writers),
    experiments: Number(args.experiments),
    reps: REPS,
  };
  printScaling(await measureStoreScaling(options), options);
}

if (args.part === 'cluster') await clusterPart();
else if (args.part === 'journal') {
  const cost = await measureJournalCost({
    appends: EVENTS,
    durableEvents: Math.min(EVENTS, 20_000),
    reps: REPS,
    clients: [1, 16, 256],
  });
  printJournalCost(cost, REPS);
} else if (args.part === 'modes') await main();
else throw new Error(`--part must be modes, cluster or journal, not "${args.part}"`);
