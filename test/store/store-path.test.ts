// Issue 9 on the store path: per-user events through each store (shifted sums, caps), then the report,
// against scipy from raw per-user values (scripts/store_path_reference.py → the committed fixture).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateExperimentDocument } from '../../src/config/load-experiments.js';
import { buildReport } from '../../src/reports/build-report.js';
import type { EventStore, OutcomeRecord } from '../../src/store/event-store.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { RedisEventStore } from '../../src/store/redis/redis-event-store.js';
import { useSharedRedis } from '../setup/shared-redis.js';

interface Case {
  name: string;
  cap: number | null;
  events: Record<'control' | 'treatment', number[][]>;
  expected: {
    means: Record<string, number>;
    diff: number;
    diff_ci: [number, number];
    p_value: number;
    statistic: number;
  };
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/store-path-reference.json', import.meta.url), 'utf8'),
) as { alpha: number; cases: Case[] };

const redis = useSharedRedis();
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup) await c();
});

/** Relative closeness, for numbers of any size. */
function expectClose(got: number | null | undefined, want: number, rel = 1e-7) {
  expect(got).not.toBeNull();
  expect(Math.abs(got! - want)).toBeLessThanOrEqual(rel * Math.max(Math.abs(want), 1e-300));
}

/** A store, and a way to wait until what was recorded is applied (Redis answers promptly only when caught up). */
type Opened = { store: EventStore; settle: () => Promise<unknown> };

const stores: [string, () => Promise<Opened>][] = [
  ['memory', async () => ({ store: new MemoryEventStore(), settle: async () => true })],
  [
    'redis',
    async () => {
      const journalDir = mkdtempSync(join(tmpdir(), 'abgate-journal-'));
      const store = new RedisEventStore({
        url: redis.url(),
        keyPrefix: redis.uniquePrefix(),
        journalDir,
        commandTimeoutMs: 20_000,
        outcomeWaitMs: 120_000,
      });
      cleanup.push(async () => {
        await store.close();
        rmSync(journalDir, { recursive: true, force: true });
      });
      return { store, settle: () => store.flush(60_000) };
    },
  ],
];

describe.each(stores)('the report on the %s store matches scipy', (_name, open) => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const parsed = validateExperimentDocument('case.yaml', {
      id: name,
      status: 'running',
      route: { path: `/${name}` },
      analysis: 'fixed',
      correction: 'none',
      alpha: fixture.alpha,
      arms: [
        { name: 'control', upstream: 'http://127.0.0.1:9/a' },
        { name: 'treatment', upstream: 'http://127.0.0.1:9/b' },
      ],
      metrics: [{ name: 'm', type: 'continuous', ...(c.cap === null ? {} : { cap: c.cap }) }],
    });
    if ('problems' in parsed) throw new Error(parsed.problems.join('\n'));
    const { store, settle } = await open();
    const target = {
      experiment: name,
      metricType: 'continuous' as const,
      ...(c.cap === null ? {} : { cap: c.cap }),
    };
    for (const arm of ['control', 'treatment'] as const) {
      const records: OutcomeRecord[] = [];
      c.events[arm].forEach((values, i) => {
        const userId = `${arm}-${i}`;
        store.recordExposure({ experiment: name, arm, userId, timestamp: 1_700_000_000_000 });
        for (const value of values)
          records.push({ userId, metric: 'm', value, timestamp: 1_700_000_000_000, targets: [target] });
      });
      await settle();
      for (let i = 0; i < records.length; i += 1000) {
        expect(new Set(await store.recordOutcomes(records.slice(i, i + 1000)))).toEqual(
          new Set(['accepted']),
        );
      }
    }
    const report = await buildReport(parsed.definition, store, Date.now);
    const metric = report.metrics.find((m) => m.name === 'm')!;
    const [control, treatment] = metric.arms;
    expectClose(control!.mean, c.expected.means.control!, 1e-12);
    expectClose(treatment!.mean, c.expected.means.treatment!, 1e-12);
    const cmp = metric.comparisons[0]!;
    expect(metric.comparisons[0]!.warnings.map((w) => w.code)).not.toContain('zero_variance');
    // A difference of two means is only as exact as doubles hold the means: a few units in the last
    // place of |mean| (1.7e9 has ulps of 2.4e-7), relative to the difference. No implementation does better.
    const floor =
      (8 *
        Number.EPSILON *
        Math.max(Math.abs(c.expected.means.control!), Math.abs(c.expected.means.treatment!))) /
      Math.abs(c.expected.diff);
    expectClose(cmp.diff, c.expected.diff, Math.max(1e-12, floor));
    expectClose(cmp.statistic, c.expected.statistic, Math.max(1e-9, floor));
    // The interval's half-width is the variances' part: exact to 1e-9 relative.
    const half = (cmp.diff_ci![1] - cmp.diff_ci![0]) / 2;
    expectClose(half, (c.expected.diff_ci[1] - c.expected.diff_ci[0]) / 2, 1e-9);
    expectClose(cmp.p_value, c.expected.p_value, Math.max(1e-7, 10 * floor));
  });
});
