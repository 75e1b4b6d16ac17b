// The embedded EventStore: exact, in-process, and gone when the process exits (not durable).
import type {
  AggregateQuery,
  EventStore,
  ExperimentAggregates,
  Exposure,
  MetricAggregate,
  OutcomeRecord,
  OutcomeStatus,
  StoreStatus,
} from './event-store.js';
import { applyOutcome } from './user-value.js';
import { combineTargetStatuses } from './outcome-status.js';

export interface MemoryEventStoreOptions {
  /** How long an event_id is remembered, in milliseconds. @default 86_400_000 (24 h) */
  dedupWindowMs?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

interface MutableAggregate {
  users: number;
  sum: number;
  sumSquares: number;
  converted: number;
}

interface ExperimentState {
  readonly armOf: Map<string, string>;
  readonly multiArm: Set<string>;
  readonly exposures: Map<string, number>;
  /** metric → user → value */
  readonly userValues: Map<string, Map<string, number>>;
  /** `${arm}\u0000${metric}` → aggregate */
  readonly aggregates: Map<string, MutableAggregate>;
  /** event_id → expiry (ms); insertion order is expiry order. */
  readonly dedup: Map<string, number>;
}

const emptyAggregate = (): MutableAggregate => ({ users: 0, sum: 0, sumSquares: 0, converted: 0 });

/** State is kept per experiment and allocation phase. */
function stateKey(experiment: string, phase: number | undefined): string {
  return `${experiment}\u0000${phase ?? 1}`;
}

export class MemoryEventStore implements EventStore {
  /** Keyed by stateKey(experiment, phase). */
  private readonly experiments = new Map<string, ExperimentState>();
  private readonly unattributed = new Map<string, number>();
  private readonly dedupWindowMs: number;
  private readonly now: () => number;

  constructor(options: MemoryEventStoreOptions = {}) {
    this.dedupWindowMs = options.dedupWindowMs ?? 86_400_000;
    this.now = options.now ?? Date.now;
  }

  private state(experiment: string, phase: number | undefined): ExperimentState {
    const key = stateKey(experiment, phase);
    let s = this.experiments.get(key);
    if (!s) {
      s = {
        armOf: new Map(),
        multiArm: new Set(),
        exposures: new Map(),
        userValues: new Map(),
        aggregates: new Map(),
        dedup: new Map(),
      };
      this.experiments.set(key, s);
    }
    return s;
  }

  recordExposure(e: Exposure): void {
    const s = this.state(e.experiment, e.phase);
    const first = s.armOf.get(e.userId);
    if (first === undefined) {
      s.armOf.set(e.userId, e.arm);
      s.exposures.set(e.arm, (s.exposures.get(e.arm) ?? 0) + 1);
    } else if (first !== e.arm) {
      s.multiArm.add(e.userId);
    }
  }

  /** True when `eventId` was already seen for this experiment inside the window; remembers it otherwise. */
  private seen(s: ExperimentState, eventId: string, now: number): boolean {
    for (const [id, expiry] of s.dedup) {
      if (expiry > now) break;
      s.dedup.delete(id);
    }
    if (s.dedup.has(eventId)) return true;
    s.dedup.set(eventId, now + this.dedupWindowMs);
    return false;
  }

  private applyToExperiment(record: OutcomeRecord, target: OutcomeRecord['targets'][number], now: number) {
    const s = this.state(target.experiment, target.phase);
    if (record.eventId !== undefined && this.seen(s, record.eventId, now)) return 'duplicate' as const;
    const arm = s.armOf.get(record.userId);
    if (arm === undefined) return 'unattributed' as const;
    let values = s.userValues.get(record.metric);
    if (!values) s.userValues.set(record.metric, (values = new Map()));
    const delta = applyOutcome(target.metricType, values.get(record.userId), record.value);
    values.set(record.userId, delta.next);
    const key = `${arm}\u0000${record.metric}`;
    let agg = s.aggregates.get(key);
    if (!agg) s.aggregates.set(key, (agg = emptyAggregate()));
    agg.users += delta.users;
    agg.sum += delta.sum;
    agg.sumSquares += delta.sumSquares;
    agg.converted += delta.converted;
    return 'accepted' as const;
  }

  async recordOutcomes(records: readonly OutcomeRecord[]): Promise<OutcomeStatus[]> {
    const now = this.now();
    return records.map((record) => {
      const status = combineTargetStatuses(record.targets.map((t) => this.applyToExperiment(record, t, now)));
      if (status === 'unattributed') {
        this.unattributed.set(record.metric, (this.unattributed.get(record.metric) ?? 0) + 1);
      }
      return status;
    });
  }

  async readAggregates(query: AggregateQuery): Promise<ExperimentAggregates> {
    const s = this.experiments.get(stateKey(query.experiment, query.phase));
    return {
      experiment: query.experiment,
      multipleArmUsers: s?.multiArm.size ?? 0,
      arms: query.arms.map((arm) => {
        const metrics: Record<string, MetricAggregate> = {};
        for (const m of query.metrics) {
          metrics[m.name] = { ...(s?.aggregates.get(`${arm}\u0000${m.name}`) ?? emptyAggregate()) };
        }
        return { arm, exposures: s?.exposures.get(arm) ?? 0, metrics };
      }),
    };
  }

  async readUnattributed(): Promise<Record<string, number>> {
    return Object.fromEntries(this.unattributed);
  }

  status(): StoreStatus {
    return {
      backend: 'memory',
      connected: true,
      durable: false,
      queueDepth: 0,
      journalBytes: 0,
      replayedEvents: 0,
      failedEvents: 0,
      errors: 0,
    };
  }

  async close(): Promise<void> {}
}
