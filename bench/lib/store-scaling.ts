// Events/s and Redis CPU per event of RedisEventStore on one Redis vs a Redis Cluster of 3 masters
// (bench/events.ts --part cluster). Both are started here; CPU is `INFO cpu` used_cpu_sys + used_cpu_user,
// summed over the masters, around the timed part only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { OutcomeRecord } from '../../src/store/event-store.js';
import { RedisEventStore } from '../../src/store/redis/redis-event-store.js';
import { RedisCluster } from '../../test/setup/redis-cluster.js';
import { RedisServer } from '../../test/setup/redis-server.js';
import { summarizeRates, type RateSummary } from './rate-stats.js';

export interface ScalingOptions {
  /** Events per run and writer: half first exposures, half continuous outcomes. */
  readonly events: number;
  /** Stores writing at once (each its own journal, as separate gateways or workers would). */
  readonly writers: number;
  /** Experiments the events are spread over (their hash tags spread them over the masters). */
  readonly experiments: number;
  readonly reps: number;
}

export interface ScalingRow {
  readonly setup: string;
  readonly masters: number;
  readonly eventsPerSecond: RateSummary;
  /** Redis CPU (all masters) per event, µs. */
  readonly cpuMicrosPerEvent: RateSummary;
}

interface Target {
  readonly name: string;
  readonly masterPorts: number[];
  readonly connection: { url?: string; clusterNodes?: string[] };
  flush(): Promise<void>;
}

async function onPort<T>(port: number, run: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({ port, host: '127.0.0.1' });
  try {
    return await run(c);
  } finally {
    c.disconnect();
  }
}

async function cpuSeconds(ports: readonly number[]): Promise<number> {
  let total = 0;
  for (const port of ports) {
    const info = await onPort(port, (c) => c.info('cpu'));
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
    total += field('used_cpu_sys') + field('used_cpu_user');
  }
  return total;
}

function outcome(experiment: string, i: number): OutcomeRecord {
  return {
    userId: `user-${i}`,
    metric: 'revenue',
    value: (i % 97) / 4,
    timestamp: i,
    targets: [{ experiment, metricType: 'continuous' }],
  };
}

/** One run: every writer records its events; resolves with events/s and Redis CPU µs per event. */
async function run(target: Target, o: ScalingOptions, rep: number): Promise<{ rate: number; cpu: number }> {
  const dirs = Array.from({ length: o.writers }, () => mkdtempSync(join(tmpdir(), 'abgate-bench-journal-')));
  const stores = dirs.map(
    (journalDir, w) =>
      new RedisEventStore({
        ...target.connection,
        journalDir,
        keyPrefix: `bench${rep}w${w}`,
        outcomeWaitMs: 60_000,
        commandTimeoutMs: 20_000,
        durableWaitMs: 120_000, // 25 outcome batches at once on a loaded machine: wait, do not fail
      }),
  );
  try {
    for (const s of stores) await s.flush(10_000); // connected
    const half = Math.floor(o.events / 2);
    const exp = (i: number) => `exp-${i % o.experiments}`;
    const cpuBefore = await cpuSeconds(target.masterPorts);
    const start = process.hrtime.bigint();
    await Promise.all(
      stores.map(async (store) => {
        for (let i = 0; i < half; i++) {
          store.recordExposure({
            experiment: exp(i),
            arm: i % 2 ? 'a' : 'b',
            userId: `user-${i}`,
            timestamp: i,
          });
        }
        const pending: Promise<unknown>[] = [];
        for (let i = 0; i < half; i += 1000) {
          const n = Math.min(1000, half - i);
          pending.push(store.recordOutcomes(Array.from({ length: n }, (_, k) => outcome(exp(i + k), i + k))));
        }
        await Promise.all(pending);
        if (!(await store.flush(300_000))) throw new Error('the store did not drain');
      }),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const cpu = (await cpuSeconds(target.masterPorts)) - cpuBefore;
    const events = 2 * half * o.writers;
    for (const s of stores) if (s.status().failedEvents !== 0) throw new Error('the store failed events');
    return { rate: events / seconds, cpu: (cpu / events) * 1e6 };
  } finally {
    await Promise.all(stores.map((s) => s.close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Starts one Redis and a 3-master cluster (no replicas), runs them interleaved, reports medians. */
export async function measureStoreScaling(o: ScalingOptions): Promise<ScalingRow[]> {
  const server = await RedisServer.start();
  const cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 0 });
  try {
    const targets: Target[] = [
      {
        name: '1 Redis',
        masterPorts: [server.port],
        connection: { url: server.url },
        flush: () => onPort(server.port, (c) => c.flushall()).then(() => undefined),
      },
      {
        name: 'Redis Cluster, 3 masters',
        masterPorts: await cluster.masterPorts(),
        connection: { clusterNodes: cluster.seedNodes },
        flush: async () => {
          for (const port of await cluster.masterPorts()) await onPort(port, (c) => c.flushall());
        },
      },
    ];
    const results = targets.map(() => ({ rates: [] as number[], cpus: [] as number[] }));
    for (let rep = 0; rep < o.reps; rep++) {
      for (const [t, target] of targets.entries()) {
        await target.flush();
        const r = await run(target, o, rep);
        results[t]!.rates.push(r.rate);
        results[t]!.cpus.push(r.cpu);
      }
      process.stderr.write(`cluster part: rep ${rep + 1}/${o.reps} done\n`);
    }
    return targets.map((t, i) => ({
      setup: t.name,
      masters: t.masterPorts.length,
      eventsPerSecond: summarizeRates(results[i]!.rates),
      cpuMicrosPerEvent: summarizeRates(results[i]!.cpus),
    }));
  } finally {
    await cluster.dispose();
    await server.dispose();
  }
}

export function printScaling(rows: readonly ScalingRow[], o: ScalingOptions): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const base = rows[0]!;
  console.log(
    `RedisEventStore, ${o.writers} writer(s) × ${o.events} events (½ exposures, ½ outcomes) over ${o.experiments} experiments; medians of ${o.reps}`,
  );
  const lines = [
    [
      'setup',
      'events/s',
      'min',
      'max',
      'Redis CPU µs/event',
      'min',
      'max',
      'events/s ratio',
      'CPU/event ratio',
    ],
    ...rows.map((r) => [
      r.setup,
      fmt(r.eventsPerSecond.median),
      fmt(r.eventsPerSecond.min),
      fmt(r.eventsPerSecond.max),
      r.cpuMicrosPerEvent.median.toFixed(1),
      r.cpuMicrosPerEvent.min.toFixed(1),
      r.cpuMicrosPerEvent.max.toFixed(1),
      (r.eventsPerSecond.median / base.eventsPerSecond.median).toFixed(2),
      (r.cpuMicrosPerEvent.median / base.cpuMicrosPerEvent.median).toFixed(2),
    ]),
  ];
  const widths = lines[0]!.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  for (const [i, line] of lines.entries()) {
    console.log(
      line.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
