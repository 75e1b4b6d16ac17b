// Seeded gateway traffic (exposures, outcomes, retries, unexposed users) fed to a store and an oracle alike.
import { expect } from 'vitest';
import type { EventStore, Exposure, OutcomeRecord, OutcomeStatus } from '../../src/store/event-store.js';
import { seededRandom, type SeededRandom } from './seeded-random.js';

export const TRAFFIC_EXPERIMENTS = ['exp-x', 'exp-y'] as const;
export const TRAFFIC_ARMS = ['a', 'b', 'c'] as const;
export const TRAFFIC_METRICS = [
  { name: 'revenue', type: 'continuous' },
  { name: 'signup', type: 'binomial' },
] as const;

export class Traffic {
  private readonly rnd: SeededRandom;
  private readonly sentIds: string[] = [];
  private nextId = 0;
  /** Every store promise, to check none rejects. */
  private readonly pending: Promise<OutcomeStatus[]>[] = [];
  exposures = 0;
  outcomes = 0;

  constructor(
    seed: number,
    private readonly users = 300,
  ) {
    this.rnd = seededRandom(seed);
  }

  exposure(): Exposure {
    return {
      experiment: this.rnd.pick(TRAFFIC_EXPERIMENTS),
      arm: this.rnd.pick(TRAFFIC_ARMS),
      userId: `user-${this.rnd.int(0, this.users - 1)}`,
      timestamp: Date.now(),
    };
  }

  outcome(): OutcomeRecord {
    const r = this.rnd;
    const metric = r.pick(TRAFFIC_METRICS);
    // A few users are never exposed: their outcomes are held (then unattributed).
    const userId = r.next() < 0.05 ? `ghost-${r.int(0, 20)}` : `user-${r.int(0, this.users - 1)}`;
    const value = metric.type === 'binomial' ? r.int(0, 1) : r.int(-80, 800) / 16;
    const roll = r.next();
    let eventId: string | undefined;
    if (roll < 0.1 && this.sentIds.length > 0)
      eventId = r.pick(this.sentIds); // a client retry
    else if (roll < 0.55) this.sentIds.push((eventId = `evt-${this.nextId++}`));
    const which = r.next();
    const experiments =
      which < 0.45 ? ['exp-x'] : which < 0.9 ? ['exp-y'] : which < 0.98 ? ['exp-x', 'exp-y'] : [];
    return {
      userId,
      metric: metric.name,
      value,
      eventId,
      timestamp: Date.now(),
      targets: experiments.map((experiment) => ({ experiment, metricType: metric.type })),
    };
  }

  /** One gateway tick: a few exposures, then one outcomes request, sent to both stores in the same order. */
  async tick(store: EventStore, oracle: EventStore, exposures = 3, outcomes = 3): Promise<void> {
    for (let i = 0; i < exposures; i++) {
      const e = this.exposure();
      store.recordExposure(e);
      oracle.recordExposure(e);
    }
    const records = Array.from({ length: outcomes }, () => this.outcome());
    this.pending.push(store.recordOutcomes(records));
    await oracle.recordOutcomes(records);
    this.exposures += exposures;
    this.outcomes += outcomes;
  }

  /** Ticks every `everyMs` for `durationMs`, with `outcomes` records per outcomes request. */
  async run(
    store: EventStore,
    oracle: EventStore,
    durationMs: number,
    everyMs = 4,
    outcomes = 3,
  ): Promise<void> {
    const end = Date.now() + durationMs;
    while (Date.now() < end) {
      await this.tick(store, oracle, 3, outcomes);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  /** Waits for every store answer; they must all resolve. */
  async settled(): Promise<OutcomeStatus[]> {
    return (await Promise.all(this.pending)).flat();
  }
}

/** The store's aggregates (held and unattributed outcomes included) and days equal the reference store's, bit for bit. */
export async function expectSameCounts(store: EventStore, oracle: EventStore): Promise<void> {
  for (const experiment of TRAFFIC_EXPERIMENTS) {
    const query = { experiment, arms: [...TRAFFIC_ARMS], metrics: [...TRAFFIC_METRICS] };
    const [got, want] = await Promise.all([store.readAggregates(query), oracle.readAggregates(query)]);
    expect(got).toEqual(want);
    expect(await store.readDaily(query)).toEqual(await oracle.readDaily(query));
  }
}
