// Reports built for real (memory store → engine → buildReport) over several days, for page, CSV and
// CLI tests; and a rollout block as the control plane would fill it in.
import { experimentSchema } from '../../src/config/experiment-schema.js';
import { buildReport, type Report } from '../../src/reports/build-report.js';
import type { RolloutReport } from '../../src/reports/rollout-report.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { NO_UPSTREAMS, twoArmExperiment } from '../helpers/experiments.js';

export const START = Date.parse('2026-11-01T08:00:00Z');
const DAY = 86_400_000;

export interface SeedOptions {
  days?: number;
  usersPerDay?: number;
  /** Share of users sent to control (0.5 matches 1:1 weights; far from it is an SRM). */
  controlShare?: number;
  controlRate?: number;
  treatmentRate?: number;
  /** Conversions a day for users never exposed (they are held, then unattributed a day later). */
  strayOutcomesPerDay?: number;
  /** Extra fields of the experiment document. */
  experiment?: Record<string, unknown>;
}

/**
 * Writes `days` days of exposures and conversions into `store` (whose clock is `clock.now`):
 * deterministic, user i in control when (i mod 100) < 100·controlShare.
 */
export async function seedDays(
  store: MemoryEventStore,
  clock: { now: number },
  id: string,
  o: SeedOptions = {},
) {
  const { days = 10, usersPerDay = 400, controlShare = 0.5, controlRate = 0.1, treatmentRate = 0.13 } = o;
  const strays = o.strayOutcomesPerDay ?? 0;
  for (let d = 0; d < days; d++) {
    clock.now = START + d * DAY;
    const records = [];
    for (let j = 0; j < usersPerDay; j++) {
      const i = d * usersPerDay + j;
      const arm = i % 100 < controlShare * 100 ? 'control' : 'treatment';
      store.recordExposure({ experiment: id, arm, userId: `u${i}`, timestamp: clock.now });
      const rate = arm === 'control' ? controlRate : treatmentRate;
      // Deterministic conversions at the arm's rate: every 1/rate-th user of the arm.
      if (Math.floor((j + 1) * rate) > Math.floor(j * rate)) {
        records.push({
          userId: `u${i}`,
          metric: 'conversion',
          value: 1,
          timestamp: clock.now,
          targets: [{ experiment: id, metricType: 'binomial' as const }],
        });
      }
    }
    for (let k = 0; k < strays; k++) {
      records.push({
        userId: `stray-${d}-${k}`,
        metric: 'conversion',
        value: 1,
        timestamp: clock.now,
        targets: [{ experiment: id, metricType: 'binomial' as const }],
      });
    }
    await store.recordOutcomes(records);
  }
}

export function experimentDoc(id: string, extra: Record<string, unknown> = {}) {
  return twoArmExperiment(id, NO_UPSTREAMS, {
    description: 'Ranker <v2> & friends',
    metrics: [{ name: 'conversion', type: 'binomial' }],
    ...extra,
  });
}

export async function dailyReport(o: SeedOptions = {}): Promise<Report> {
  const clock = { now: START };
  const store = new MemoryEventStore({ now: () => clock.now });
  const id = 'ranker';
  await seedDays(store, clock, id, o);
  const definition = experimentSchema.parse(experimentDoc(id, o.experiment));
  return buildReport(definition, store, () => clock.now + 3_600_000, {
    state: {
      status: 'running',
      since: new Date(START).toISOString(),
      version: 3,
      winner: null,
      traffic: 50,
      phase: 1,
      current_phase: 1,
      phase_started_at: new Date(START).toISOString(),
      phase_ended_at: null,
    },
  });
}

export function rolloutFixture(over: Partial<RolloutReport> = {}): RolloutReport {
  return {
    state: 'stepping',
    steps: [1, 5, 25, 50],
    step_index: 1,
    traffic: 5,
    step_interval_s: 600,
    min_users_per_arm: 500,
    on_success: 'conclude',
    next_check_at: '2026-11-10T09:10:00.000Z',
    last_check: { at: '2026-11-10T09:00:00.000Z', verdict: 'advance', reasons: ['all guardrails ok'] },
    guardrails: [
      { metric: 'abgate_errors', status: 'ok', limit: 'max_increase 0.005', observed: 0.0004, bound: 0.0031 },
      {
        metric: 'abgate_latency_ms',
        status: 'breached',
        limit: 'max_relative_increase 0.1',
        observed: 0.18,
        bound: 0.121,
      },
    ],
    driver: 'gw-1',
    ...over,
  };
}
