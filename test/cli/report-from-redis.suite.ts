// `abgate report <id>` read straight from Redis (--redis URL or --redis-cluster NODES) shows the same
// numbers as the report built from an in-memory store fed the same events. Run per kind of Redis.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { validateExperimentDocument } from '../../src/config/load-experiments.js';
import { buildReport, type Report } from '../../src/reports/build-report.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { RedisEventStore, type RedisEventStoreOptions } from '../../src/store/redis/redis-event-store.js';
import { runCli } from '../helpers/cli.js';
import { experimentsDir, NO_UPSTREAMS, twoArmExperiment } from '../helpers/experiments.js';

const doc = twoArmExperiment('from-redis', NO_UPSTREAMS, {
  metrics: [
    { name: 'conv', type: 'binomial' },
    { name: 'spend', type: 'continuous' },
  ],
});

export interface ReportTarget {
  /** How the store connects (url or clusterNodes). */
  readonly store: Pick<RedisEventStoreOptions, 'url' | 'clusterNodes'>;
  /** How the CLI is pointed at the same Redis, e.g. ['--redis', url]. */
  readonly cliArgs: readonly string[];
}

/** The report-from-Redis tests (call inside a describe). */
export function reportFromRedisCases(target: () => ReportTarget): void {
  let dir: string;
  beforeAll(async () => {
    dir = await experimentsDir([doc]);
  });

  it('matches the report of the same events in memory', async () => {
    const redisStore = new RedisEventStore({
      ...target().store,
      journalDir: await mkdtemp(join(tmpdir(), 'abgate-j-')),
    });
    const memory = new MemoryEventStore();
    for (const store of [redisStore, memory]) {
      for (let i = 0; i < 600; i++) {
        store.recordExposure({
          experiment: 'from-redis',
          arm: i % 3 ? 'treatment' : 'control',
          userId: `u${i}`,
          timestamp: 0,
        });
      }
      const records = [];
      for (let i = 0; i < 600; i += 2) {
        records.push({
          userId: `u${i}`,
          metric: 'conv',
          value: 1,
          timestamp: 0,
          targets: [{ experiment: 'from-redis', metricType: 'binomial' as const }],
        });
        records.push({
          userId: `u${i}`,
          metric: 'spend',
          value: (i % 17) / 4,
          timestamp: 0,
          targets: [{ experiment: 'from-redis', metricType: 'continuous' as const }],
        });
      }
      await store.recordOutcomes(records);
    }
    await redisStore.flush(10_000);
    await redisStore.close();

    const r = await runCli([
      'report',
      'from-redis',
      ...target().cliArgs,
      '--experiments',
      dir,
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const fromCli = JSON.parse(r.stdout) as Report;
    const v = validateExperimentDocument('fr.json', doc);
    if ('problems' in v) throw new Error(v.problems.join());
    const expected = await buildReport(v.definition, memory, () => 0);
    expect({ ...fromCli, generated_at: '' }).toEqual({ ...expected, generated_at: '' });
    expect(fromCli.arms.map((a) => a.exposures)).toEqual([200, 400]);
  });
}
