// What the write-ahead journal costs (issue 8: "write it ahead to the journal before answering (group
// commit …), so the cost stays small — measure it"): the real Journal on a real folder, no Redis.
//
// - append, one per task: CPU per exposure (a JSON line written synchronously to the page cache before
//   the call returns, as the gateway does before answering a prediction);
// - durable, C clients: each appends an outcome and waits for its fsync (`whenDurable`), as an outcome
//   answered `queued` does; group commit lets one fsync cover every client waiting;
// - durable, 1 client: one fsync per event, the cost group commit avoids.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../../src/store/journal/journal.js';
import { queuedEventCodec, type QueuedEvent } from '../../src/store/redis/queued-event.js';
import { summarizeRates, type RateSummary } from './rate-stats.js';

const exposure = (i: number): QueuedEvent => ({
  k: 'x',
  e: 'ranker-v2',
  p: 1,
  a: i % 2 ? 'control' : 'treatment',
  u: `user-${i}`,
  t: 1_764_000_000_000 + i,
});

function openJournal(): { journal: Journal<QueuedEvent>; dispose: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'abgate-journal-bench-'));
  const journal = new Journal<QueuedEvent>({ dir, codec: queuedEventCodec, fsyncIntervalMs: 20 });
  return {
    journal,
    dispose: async () => {
      await journal.close(5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU µs per exposure appended (and written) one per task, fsyncs in the background included. */
async function appendCpu(n: number): Promise<number> {
  const { journal, dispose } = openJournal();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    journal.append(exposure(i), true);
    journal.ack(1);
    if (i % 64 === 63) await new Promise((r) => setImmediate(r)); // let fsyncs and deletes run
  }
  const used = process.cpuUsage(cpu);
  await dispose();
  return (used.user + used.system) / n;
}

/** Durable events per second with `clients` waiting for their fsync at once. */
async function durableRate(n: number, clients: number): Promise<{ rate: number; perFsync: number }> {
  const { journal, dispose } = openJournal();
  let fsyncWaits = 0;
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < n) {
        const seq = journal.append(exposure(next++));
        if (!(await journal.whenDurable(seq, 10_000))) throw new Error('the journal did not fsync');
        fsyncWaits += 1;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  journal.ack(n);
  await dispose();
  return { rate: fsyncWaits / seconds, perFsync: 0 };
}

export interface JournalCost {
  appendCpuUs: RateSummary;
  durable: { clients: number; rate: RateSummary }[];
}

export async function measureJournalCost(options: {
  appends: number;
  durableEvents: number;
  reps: number;
  clients: readonly number[];
}): Promise<JournalCost> {
  const cpu: number[] = [];
  const durable = new Map<number, number[]>(options.clients.map((c) => [c, []]));
  for (let rep = 0; rep < options.reps; rep++) {
    cpu.push(await appendCpu(options.appends));
    for (const c of options.clients) {
      const events = c === 1 ? Math.min(options.durableEvents, 2000) : options.durableEvents;
      durable.get(c)!.push((await durableRate(events, c)).rate);
    }
    console.error(`rep ${rep + 1}/${options.reps} done`);
  }
  return {
    appendCpuUs: summarizeRates(cpu),
    durable: options.clients.map((clients) => ({ clients, rate: summarizeRates(durable.get(clients)!) })),
  };
}

export function printJournalCost(cost: JournalCost, reps: number): void {
  const f = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits });
  console.log(
    `exposure append (written before the call returns): ${f(cost.appendCpuUs.median, 2)} µs CPU per event (median of ${reps}; ${f(cost.appendCpuUs.min, 2)}–${f(cost.appendCpuUs.max, 2)})`,
  );
  const one = cost.durable.find((d) => d.clients === 1)?.rate.median;
  console.log('');
  console.log('clients waiting for fsync   durable events/s (median)      min      max   vs 1 client');
  console.log('-------------------------   ------------------------  -------  -------   -----------');
  for (const d of cost.durable) {
    console.log(
      `${String(d.clients).padStart(25)}   ${f(d.rate.median).padStart(24)}  ${f(d.rate.min).padStart(7)}  ${f(d.rate.max).padStart(7)}   ${one ? `${(d.rate.median / one).toFixed(1)}×`.padStart(11) : ''}`,
    );
  }
}
