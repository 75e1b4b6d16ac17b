// The ledger itself, against the reference store: it agrees with exactly what was recorded, and finds a
// missing exposure, a double-counted outcome, an unattributed one and an unanswered anonymous one.
import { describe, expect, it } from 'vitest';
import { MemoryEventStore } from '../../../src/store/memory-event-store.js';
import { Ledger, type OutcomeEvent } from '../../helpers/ledger.js';

const METRICS = { click: 'binomial', spend: 'continuous' } as const;
const ok = (arm: string) => ({ status: 200, headers: { 'x-abgate-arm': arm, 'x-abgate-experiment': 'e' } });
const acked = { status: 202, body: { accepted: 1, rejected: [] } };

function record(store: MemoryEventStore, e: OutcomeEvent) {
  return store.recordOutcomes([
    {
      userId: e.user_id,
      metric: e.metric,
      value: e.value,
      timestamp: 1,
      ...(e.event_id ? { eventId: e.event_id } : {}),
      targets: [{ experiment: 'e', metricType: METRICS[e.metric as keyof typeof METRICS] }],
    },
  ]);
}

async function scenario() {
  const store = new MemoryEventStore();
  const ledger = new Ledger('e', ['control', 'treatment'], METRICS);
  for (const [user, arm] of [
    ['u1', 'control'],
    ['u2', 'treatment'],
    ['u3', 'treatment'],
  ] as const) {
    store.recordExposure({ experiment: 'e', arm, userId: user, timestamp: 1 });
    ledger.prediction(user, ok(arm));
  }
  ledger.prediction('u1', ok('control')); // a repeat: one exposure
  const events: OutcomeEvent[] = [
    { user_id: 'u1', metric: 'click', value: 1 },
    { user_id: 'u1', metric: 'click', value: 0 },
    { user_id: 'u2', metric: 'spend', value: 5, event_id: 's1' },
    { user_id: 'u2', metric: 'spend', value: 7 },
    { user_id: 'u3', metric: 'spend', value: 2, event_id: 's2' },
  ];
  for (const e of events) {
    await record(store, e);
    ledger.outcomes([e], acked);
  }
  // A re-send of s1 answered `duplicate`: acknowledged, counted once.
  await record(store, events[2]!);
  ledger.outcomes([events[2]!], { status: 202, body: { duplicates: 1, rejected: [] } });
  return { store, ledger };
}

describe('the fault-matrix ledger', () => {
  it('agrees exactly with the store that recorded what the clients were told', async () => {
    const { store, ledger } = await scenario();
    expect(ledger.compare(await store.readAggregates(ledger.query()))).toEqual([]);
    expect(ledger.expected().treatment!.metrics.spend).toEqual({ users: 2, sum: 14 });
  });

  it('finds a lost exposure, a doubled outcome and an unattributed one', async () => {
    const { store, ledger } = await scenario();
    ledger.prediction('u4', ok('control')); // told, never recorded
    await record(store, { user_id: 'u3', metric: 'spend', value: 2 }); // counted, never acknowledged
    await record(store, { user_id: 'nobody', metric: 'click', value: 1 });
    const diffs = ledger.compare(await store.readAggregates(ledger.query()));
    expect(diffs.map((d) => d.what)).toEqual(
      expect.arrayContaining(['control.exposures', 'treatment.spend.sum']),
    );
    // The outcome for "nobody" is held (no exposure yet), then unattributed after the grace period.
    expect(diffs.some((d) => d.what === 'held users' || d.what === 'unattributed.click')).toBe(true);
  });

  it('bounds unanswered predictions and refuses to be exact about unanswered anonymous outcomes', async () => {
    const { store, ledger } = await scenario();
    ledger.prediction('u9', new Error('socket hang up'));
    expect(ledger.compare(await store.readAggregates(ledger.query()))).toEqual([]);
    store.recordExposure({ experiment: 'e', arm: 'control', userId: 'u9', timestamp: 1 });
    expect(ledger.compare(await store.readAggregates(ledger.query()))).toEqual([]);

    ledger.outcomes([{ user_id: 'u1', metric: 'click', value: 1, event_id: 'x1' }], new Error('reset'));
    expect(ledger.unacknowledged()).toHaveLength(1);
    ledger.outcomes([{ user_id: 'u1', metric: 'click', value: 1 }], { status: 503, body: {} });
    expect(ledger.compare(await store.readAggregates(ledger.query())).map((d) => d.what)).toEqual([
      'outcomes without event_id and without an answer',
    ]);
  });
});
