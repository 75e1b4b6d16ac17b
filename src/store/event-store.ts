// The EventStore seam: the few operations abgate needs from wherever exposures and outcomes live.
// Implementations: MemoryEventStore (embedded, not durable) and RedisEventStore.

export type MetricType = 'binomial' | 'continuous';

/** A unit seen by an arm of an experiment. The first exposure of a unit wins its arm. */
export interface Exposure {
  readonly experiment: string;
  /** Allocation phase of the experiment (see live control); counts are kept per phase. @default 1 */
  readonly phase?: number;
  readonly arm: string;
  readonly userId: string;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /**
   * A QA-forced request (x-abgate-force-arm) seen for the user: never an exposure and never sets
   * the user's arm; when the user's recorded arm differs, the user counts as a multiple-arm user.
   */
  readonly forced?: boolean;
}

/** An experiment an outcome may be attributed to, resolved from configuration by the caller. */
export interface OutcomeTarget {
  readonly experiment: string;
  /** The experiment's current phase: the outcome counts for users exposed in that phase. @default 1 */
  readonly phase?: number;
  readonly metricType: MetricType;
}

/** A validated outcome event, with the experiments it may count for. */
export interface OutcomeRecord {
  readonly userId: string;
  readonly metric: string;
  /** binomial: 0 or 1; continuous: a finite number. */
  readonly value: number;
  /** Retry-safe identity: the same event_id is counted once within the dedup window. */
  readonly eventId?: string | undefined;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /** The running experiments that track `metric` (or the one the event named). */
  readonly targets: readonly OutcomeTarget[];
}

/**
 * What became of one outcome:
 * - `accepted`: counted for at least one experiment the user was exposed in;
 * - `duplicate`: its event_id was already counted;
 * - `unattributed`: the user was not exposed in any target experiment;
 * - `held`: no exposure of the user was recorded yet; the outcome is kept for the attribution grace
 *   period and counted if the exposure arrives (another gateway may still be writing it);
 * - `queued`: recorded durably, not applied yet (the store is unreachable or behind); its final
 *   fate is not known yet.
 */
export type OutcomeStatus = 'accepted' | 'duplicate' | 'unattributed' | 'queued' | 'held';

/** Per-arm sufficient statistics of one metric, over users (not events). */
export interface MetricAggregate {
  /** Users with at least one event for the metric. */
  readonly users: number;
  /** Sum over users of each user's value (continuous: sum of events; binomial: 1 if converted). */
  readonly sum: number;
  /** Sum over users of the square of each user's value. */
  readonly sumSquares: number;
  /** binomial only: users who converted (equals `sum`). */
  readonly converted: number;
}

export interface ArmAggregate {
  readonly arm: string;
  /** Unique users first exposed in this arm. */
  readonly exposures: number;
  readonly metrics: Readonly<Record<string, MetricAggregate>>;
}

export interface ExperimentAggregates {
  readonly experiment: string;
  readonly arms: readonly ArmAggregate[];
  /** Users seen in more than one arm; they stay counted in their first arm only. */
  readonly multipleArmUsers: number;
}

export interface AggregateQuery {
  readonly experiment: string;
  /** @default 1 */
  readonly phase?: number;
  readonly arms: readonly string[];
  readonly metrics: readonly { readonly name: string; readonly type: MetricType }[];
}

export interface StoreStatus {
  readonly backend: 'memory' | 'redis';
  /** False while the backing service is unreachable; writes then queue. */
  readonly connected: boolean;
  readonly durable: boolean;
  /** Events waiting in memory to be written. */
  readonly queueDepth: number;
  /** Bytes of the on-disk journal of unsent events. */
  readonly journalBytes: number;
  /** Events written from the journal after an outage or restart. */
  readonly replayedEvents: number;
  /** Events the store gave up on (should stay 0). */
  readonly failedEvents: number;
  /** Errors talking to the backing service. */
  readonly errors: number;
  /** Outcomes counted as unattributed, by metric. */
  readonly unattributed?: Readonly<Record<string, number>>;
}

export interface EventStore {
  /** Records an exposure. Never blocks the caller and never throws: writes are queued and ordered. */
  recordExposure(exposure: Exposure): void;
  /**
   * Records outcomes after every exposure recorded before the call (same-process ordering),
   * resolving with one status per record, in order.
   */
  recordOutcomes(records: readonly OutcomeRecord[]): Promise<OutcomeStatus[]>;
  /** Per-arm sufficient statistics; costs O(arms × metrics) whatever the traffic. */
  readAggregates(query: AggregateQuery): Promise<ExperimentAggregates>;
  /** Outcomes that found no exposed user, by metric, since the store began. */
  readUnattributed(): Promise<Record<string, number>>;
  status(): StoreStatus;
  /** Flushes everything queued (or journals it) and releases connections. */
  close(): Promise<void>;
}
