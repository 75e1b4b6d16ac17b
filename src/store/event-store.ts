// The EventStore seam: the few operations abgate needs from wherever exposures and outcomes live.
// Implementations: MemoryEventStore (embedded, not durable, the reference) and RedisEventStore.
// The rules every implementation keeps are stated in ./README.md and pinned by the contract suite.

/** How a metric's per-user value is kept: 0/1 once converted, a running sum, or a running mean. */
export type MetricType = 'binomial' | 'continuous' | 'mean';

/** A unit seen by an arm of an experiment. The first exposure of a unit in a phase wins its arm. */
export interface Exposure {
  readonly experiment: string;
  /** Allocation phase of the experiment; counts are kept per phase. @default 1 */
  readonly phase?: number;
  readonly arm: string;
  readonly userId: string;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /**
   * A QA-forced request (x-abgate-force-arm), not an exposure: it never sets the user's arm; when the
   * user's recorded arm differs, the user counts as seen in more than one arm.
   */
  readonly forced?: boolean;
}

/** A ratio metric of an experiment, e.g. revenue per session: two of its metrics, per user. */
export interface RatioMetric {
  readonly name: string;
  readonly numerator: string;
  readonly denominator: string;
}

/** How a metric's per-user value is turned into what the arm's statistics see. */
export interface MetricSpec {
  readonly metric: string;
  readonly type: MetricType;
  /** continuous: each user's value counts as at most `cap` (winsorising), applied to the running total. */
  readonly cap?: number;
}

/** A ratio metric that the target's metric takes part in, with the other component's spec. */
export interface RatioLink {
  readonly name: string;
  readonly role: 'numerator' | 'denominator';
  readonly other: MetricSpec;
}

/** An experiment an outcome may count in, resolved from configuration by the caller. */
export interface OutcomeTarget {
  readonly experiment: string;
  /** The experiment's current phase: the outcome counts for users exposed in that phase. @default 1 */
  readonly phase?: number;
  readonly metricType: MetricType;
  /** continuous: each user's value counts as at most `cap` (winsorising), applied to the running total. */
  readonly cap?: number;
  /** Ratio metrics of the experiment that use this metric as numerator or denominator. */
  readonly ratios?: readonly RatioLink[];
}

/** A validated outcome event, with the experiments it may count in. */
export interface OutcomeRecord {
  readonly userId: string;
  readonly metric: string;
  /** binomial: 0 or 1; continuous and mean: a finite number. */
  readonly value: number;
  /** Retry-safe identity: the same event_id is counted once within the dedup window. */
  readonly eventId?: string | undefined;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly targets: readonly OutcomeTarget[];
}

/**
 * What the gateway saw of one user's requests to their assigned arm since the last report: feeds the
 * built-in guardrail metrics `abgate_errors` (binomial: any 5xx, timeout or connection error) and
 * `abgate_latency_ms` (mean of the user's upstream latencies).
 */
export interface GuardrailObservation {
  readonly experiment: string;
  /** @default 1 */
  readonly phase?: number;
  readonly arm: string;
  readonly userId: string;
  /** 1 when any of the requests failed. */
  readonly errors: 0 | 1;
  /** Sum of the requests' upstream latencies, ms. */
  readonly latencyMs: number;
  /** Requests observed (> 0). */
  readonly requests: number;
  readonly timestamp: number;
}

/** Names of the built-in guardrail metrics the gateway measures itself. */
export const GUARDRAIL_METRICS = { errors: 'abgate_errors', latency: 'abgate_latency_ms' } as const;

/**
 * What became of one outcome:
 * - `accepted`: counted for at least one experiment the user was exposed in;
 * - `duplicate`: its event_id was already counted;
 * - `held`: no exposure of the user is recorded yet; the outcome is kept for the attribution grace
 *   period and counted if the exposure arrives (another gateway may still be writing it), else it
 *   becomes unattributed;
 * - `unattributed`: the user was not exposed in any target experiment;
 * - `queued`: recorded durably (the journal is on disk), not applied yet or applied with an unknown
 *   answer; it will be counted exactly once;
 * - `refused`: the store kept refusing the event's data (e.g. an operator left a key of the wrong type)
 *   and gave it up; it is not counted (see failedEvents and the log).
 */
export type OutcomeStatus = 'accepted' | 'duplicate' | 'unattributed' | 'queued' | 'held' | 'refused';

/**
 * Sums of one metric in one arm over the users that have a value (`users` ≤ exposures); exposed users
 * without a value count as 0. Shifted by a constant so the variance stays exact when the mean is large
 * and the spread small: the stores give shift = the users' mean (to the last bit) and sumSquares = their
 * M2, kept by Welford updates (see accumulate.ts). binomial: shift 0 and sum = sumSquares = converted.
 */
export interface MomentSums {
  readonly users: number;
  readonly shift: number;
  /** Σ (x − shift) */
  readonly sum: number;
  /** Σ (x − shift)² */
  readonly sumSquares: number;
}

/** Sums of a ratio metric over users with either component; a missing component counts as 0. */
export interface RatioSums {
  readonly users: number;
  readonly shiftN: number;
  readonly shiftD: number;
  readonly sumN: number;
  readonly sumD: number;
  readonly sumNN: number;
  readonly sumDD: number;
  readonly sumND: number;
}

export interface ArmAggregate {
  readonly arm: string;
  /** Unique users first exposed in this arm (in the queried phase). */
  readonly exposures: number;
  readonly metrics: Readonly<Record<string, MomentSums>>;
  readonly ratios: Readonly<Record<string, RatioSums>>;
}

export interface ExperimentAggregates {
  readonly experiment: string;
  readonly phase: number;
  readonly arms: readonly ArmAggregate[];
  /** Users seen in more than one arm; they stay counted in their first arm only. */
  readonly multipleArmUsers: number;
  /** Outcomes that found no exposed user after the grace period, by metric. */
  readonly unattributed: Readonly<Record<string, number>>;
  /** Users with outcomes held, waiting for their exposure. */
  readonly heldUsers: number;
}

/** The statistics as they stood at the end of one UTC day (days since the epoch), per arm. */
export interface DayAggregate {
  readonly day: number;
  readonly arms: readonly ArmAggregate[];
}

export interface AggregateQuery {
  readonly experiment: string;
  /** @default 1 */
  readonly phase?: number;
  readonly arms: readonly string[];
  /** Metrics with per-user values (binomial, continuous, mean). */
  readonly metrics: readonly { readonly name: string; readonly type: MetricType }[];
  /** Ratio metrics. @default [] */
  readonly ratios?: readonly RatioMetric[];
}

export interface StoreStatus {
  readonly backend: 'memory' | 'redis';
  /** False while the backing service is unreachable; writes then wait in the journal. */
  readonly connected: boolean;
  readonly durable: boolean;
  /** Events not yet applied by the backing service (memory and journal). */
  readonly queueDepth: number;
  /** Bytes of journal not yet applied. */
  readonly journalBytes: number;
  /** True while the journal cannot be written (a full disk, an I/O error). */
  readonly journalFailing: boolean;
  /** Events applied from a journal left by an earlier process. */
  readonly replayedEvents: number;
  /** Events the store gave up on (should stay 0). */
  readonly failedEvents: number;
  /** Errors talking to the backing service or the disk. */
  readonly errors: number;
}

/** What close() could not keep: events neither applied nor safely on disk. */
export interface CloseResult {
  readonly unsaved: number;
}

export interface EventStore {
  /** Records an exposure. Never blocks the caller and never throws. */
  recordExposure(exposure: Exposure): void;
  /** Records what the gateway saw of a user's requests (guardrail metrics). Never blocks or throws. */
  recordGuardrail(observation: GuardrailObservation): void;
  /**
   * Records outcomes after every exposure recorded before the call (same-process ordering),
   * resolving with one status per record, in order. Rejects with StoreUnavailableError when the events
   * could be neither applied nor kept durably (the caller answers 503: retry with the same event_id).
   */
  recordOutcomes(records: readonly OutcomeRecord[]): Promise<OutcomeStatus[]>;
  /** Per-arm sufficient statistics of one phase; costs O(arms × metrics) whatever the traffic. */
  readAggregates(query: AggregateQuery): Promise<ExperimentAggregates>;
  /** The same statistics at the end of each day with a change, oldest first; O(days × arms × metrics). */
  readDaily(query: AggregateQuery): Promise<DayAggregate[]>;
  status(): StoreStatus;
  /** Applies (or journals) everything recorded so far and releases connections and files. */
  close(): Promise<CloseResult>;
}

/** The store could neither apply nor durably keep events: nothing was acknowledged. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
