// Prometheus metrics (prom-client) on a registry owned by the gateway instance, never the global one.
// Labels carry experiment, arm, route and status class only: never user ids.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { buildInfo, type BuildInfo } from '../build-info.js';
import { sampleRatioMismatch } from '../core/stats/srm.js';
import type { EventStore, OutcomeRecord, OutcomeStatus } from '../store/event-store.js';
import { statusClass, type RequestRecord } from './request-record.js';

/** What the per-experiment gauges need to know about a routed experiment. */
export interface ExperimentSplit {
  readonly id: string;
  /** The phase whose users are counted. @default 1 */
  readonly phase?: number;
  readonly arms: readonly { readonly name: string; readonly weight: number }[];
}

export interface GatewayMetricsOptions {
  /** Replaces render(): under node:cluster, fetches the aggregate of every worker. */
  aggregate?: (registry: Registry) => () => Promise<string>;
  /** Also export Node process metrics (CPU, memory, event loop), unprefixed as stock dashboards expect. @default true */
  processMetrics?: boolean;
  /**
   * Experiments whose split is exported at each scrape (users per arm from the store, expected
   * share, SRM p-value), for the SRM alert. @default none
   */
  experiments?: () => readonly ExperimentSplit[];
  /** @default this package's version, Node version and git commit */
  build?: BuildInfo;
}

/** Buckets of every upstream latency histogram (seconds), so served and shadow arms compare bucket for bucket. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const SEP = '\u0000';

type Level<T> = Map<string, Level<T> | T>;

/** A label-children cache, one Map level per label (no key string built per request). */
function cached<T>(make: (...labels: string[]) => T): (...labels: string[]) => T {
  const root: Level<T> = new Map();
  return (...labels) => {
    let level = root;
    const last = labels.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(labels[i]!) as Level<T> | undefined;
      if (next === undefined) level.set(labels[i]!, (next = new Map()));
      level = next;
    }
    let child = level.get(labels[last]!) as T | undefined;
    if (child === undefined) level.set(labels[last]!, (child = make(...labels)));
    return child;
  };
}

/** One label combination of a FastCounter: increments add up here until the next scrape. */
class PendingCount {
  pending = 0;
  constructor(readonly labels: Record<string, string>) {}
  inc(n = 1): void {
    this.pending += n;
  }
}

/**
 * A prom-client Counter whose increments are summed in plain fields and handed over when it is read
 * (its collect(), on every scrape). Why: prom-client re-validates and re-hashes the label values on
 * every inc(), even through a labelled child; with four series touched per proxied request that was
 * most of the metrics' CPU on the hot path (`bench/wrk-profile.ts`).
 */
function fastCounter(config: {
  name: string;
  help: string;
  labelNames: readonly string[];
  registers: Registry[];
}): (...labels: string[]) => PendingCount {
  const cells: PendingCount[] = [];
  const counter: Counter = new Counter({
    ...config,
    labelNames: [...config.labelNames],
    collect() {
      for (const cell of cells) {
        if (cell.pending === 0) continue;
        counter.inc(cell.labels, cell.pending);
        cell.pending = 0;
      }
    },
  });
  return cached((...values) => {
    const labels: Record<string, string> = {};
    config.labelNames.forEach((name, i) => (labels[name] = values[i]!));
    const cell = new PendingCount(labels);
    cells.push(cell);
    return cell;
  });
}

/**
 * A counter that mirrors a running total kept elsewhere (the store's status): each scrape adds
 * what the total grew by since the last one, so it is a true Prometheus counter.
 */
function mirroredCounter(name: string, help: string, registers: Registry[], read: () => number): Counter {
  let seen = 0;
  return new Counter({
    name,
    help,
    registers,
    collect() {
      const now = read();
      if (now > seen) this.inc(now - seen);
      seen = Math.max(seen, now);
    },
  });
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly request: (experiment: string, arm: string, cls: string) => { inc(): void };
  private readonly attempt: (experiment: string, arm: string, result: string) => { inc(): void };
  private readonly attemptSeconds: (experiment: string, arm: string) => { observe(v: number): void };
  private readonly fallback: (experiment: string, arm: string) => { inc(): void };
  private readonly passthrough: (experiment: string, cls: string) => { inc(): void };
  private readonly exposure: (experiment: string, arm: string) => { inc(): void };
  private readonly outcome: (experiment: string, result: string) => { inc(n?: number): void };
  private readonly api: (route: string, method: string, cls: string) => { inc(): void };
  private readonly apiSeconds: (route: string, method: string, cls: string) => { observe(v: number): void };
  private readonly renderAll: () => Promise<string>;

  constructor(store: EventStore, options: GatewayMetricsOptions = {}) {
    const registers = [this.registry];
    this.renderAll = options.aggregate ? options.aggregate(this.registry) : () => this.registry.metrics();
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });

    const build = options.build ?? buildInfo();
    new Gauge({
      name: 'abgate_build_info',
      help: 'Always 1; labels say which abgate runs: version, Node version and git commit ("unknown" if not known)',
      labelNames: ['version', 'node_version', 'commit'],
      registers,
      aggregator: 'max',
    }).set({ version: build.version, node_version: build.nodeVersion, commit: build.commit ?? 'unknown' }, 1);

    // ── prediction traffic ──────────────────────────────────────────────────────────────────
    this.request = fastCounter({
      name: 'abgate_requests_total',
      help: 'Prediction requests answered, by experiment, the arm the user is assigned to ("none" before assignment) and the status class the client got',
      labelNames: ['experiment', 'arm', 'status_class'],
      registers,
    });
    this.attempt = fastCounter({
      name: 'abgate_upstream_attempts_total',
      help: 'Requests sent to an arm\'s upstream, by the arm tried and how it ended: status class, "timeout", "unavailable" (connect error) or "cancelled" (client gone)',
      labelNames: ['experiment', 'arm', 'result'],
      registers,
    });
    const attemptSeconds = new Histogram({
      name: 'abgate_upstream_duration_seconds',
      help: 'Time until the upstream answered with headers or failed, per attempt, by the arm tried',
      labelNames: ['experiment', 'arm'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.attemptSeconds = cached((e, a) => attemptSeconds.labels(e, a));
    this.fallback = fastCounter({
      name: 'abgate_fallbacks_total',
      help: 'Requests answered by control after their assigned arm failed, by the arm that failed',
      labelNames: ['experiment', 'arm'],
      registers,
    });
    this.passthrough = fastCounter({
      name: 'abgate_passthrough_requests_total',
      help: 'Requests on an experiment route that are not predictions (route.predict): served by control, not exposures',
      labelNames: ['experiment', 'status_class'],
      registers,
    });
    this.exposure = fastCounter({
      name: 'abgate_exposures_total',
      help: 'Exposures recorded (requests by in-experiment users; not unique users)',
      labelNames: ['experiment', 'arm'],
      registers,
    });

    // ── API ────────────────────────────────────────────────────────────────────────────────
    this.outcome = fastCounter({
      name: 'abgate_outcomes_total',
      help: 'Outcome events by experiment and result (accepted, duplicate, unattributed, held, queued; rejected with experiment "none"); an event tracked by two experiments counts in each',
      labelNames: ['experiment', 'result'],
      registers,
    });
    this.api = fastCounter({
      name: 'abgate_http_requests_total',
      help: "Requests to the gateway's own endpoints (API, reports, probes, metrics) by route pattern, method and status class",
      labelNames: ['route', 'method', 'status_class'],
      registers,
    });
    const apiSeconds = new Histogram({
      name: 'abgate_http_request_duration_seconds',
      help: "Time to answer a request to the gateway's own endpoints, by route pattern, method and status class",
      labelNames: ['route', 'method', 'status_class'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.apiSeconds = cached((r, m, c) => apiSeconds.labels(r, m, c));

    // ── event store ────────────────────────────────────────────────────────────────────────
    const storeGauge = (
      name: string,
      help: string,
      read: () => number,
      aggregator: 'sum' | 'min' | 'max' = 'sum',
    ) =>
      new Gauge({
        name,
        help,
        registers,
        aggregator,
        collect() {
          this.set(read());
        },
      });
    storeGauge(
      'abgate_event_queue_depth',
      'Events not yet applied by the store (in memory and in the journal)',
      () => store.status().queueDepth,
    );
    storeGauge(
      'abgate_journal_bytes',
      'Bytes of journaled events not yet applied by the store',
      () => store.status().journalBytes,
    );
    // Under --workers the maximum: 1 as soon as one worker cannot write its journal.
    storeGauge(
      'abgate_journal_failing',
      '1 while the journal cannot be written (full disk, I/O error): outcomes may get 503',
      () => (store.status().journalFailing ? 1 : 0),
      'max',
    );
    // Under --workers the scrape is the minimum over workers: 0 as soon as one cannot reach the store.
    storeGauge(
      'abgate_store_connected',
      '1 when the event store is reachable (under --workers: by every worker)',
      () => (store.status().connected ? 1 : 0),
      'min',
    );
    mirroredCounter(
      'abgate_events_replayed_total',
      'Events written from the journal after an outage or restart',
      registers,
      () => store.status().replayedEvents,
    );
    mirroredCounter(
      'abgate_events_failed_total',
      'Events the store gave up on (should stay 0)',
      registers,
      () => store.status().failedEvents,
    );
    mirroredCounter(
      'abgate_store_errors_total',
      'Errors talking to the event store (Redis)',
      registers,
      () => store.status().errors,
    );

    // ── experiment split, for the SRM alert (read from the store at each scrape) ─────────────
    const listExperiments = options.experiments;
    if (listExperiments) this.registerSplitGauges(store, listExperiments, registers);
  }

  private registerSplitGauges(
    store: EventStore,
    listExperiments: () => readonly ExperimentSplit[],
    registers: Registry[],
  ): void {
    interface Split {
      readonly id: string;
      readonly arms: { name: string; expected: number; users: number | undefined }[];
      readonly pValue: number | null;
    }
    // One store read per experiment and scrape, shared by the three gauges (collected together).
    let pending: Promise<Split[]> | undefined;
    const read = async (): Promise<Split[]> =>
      Promise.all(
        listExperiments().map(async (exp): Promise<Split> => {
          const total = exp.arms.reduce((s, a) => s + a.weight, 0);
          let counts: ReadonlyMap<string, number> | undefined;
          try {
            const agg = await store.readAggregates({
              experiment: exp.id,
              ...(exp.phase === undefined ? {} : { phase: exp.phase }),
              arms: exp.arms.map((a) => a.name),
              metrics: [],
            });
            counts = new Map(agg.arms.map((a) => [a.arm, a.exposures]));
          } catch {
            counts = undefined; // store unreachable: no sample rather than a stale one
          }
          const arms = exp.arms.map((a) => ({
            name: a.name,
            expected: a.weight / total,
            users: counts === undefined ? undefined : (counts.get(a.name) ?? 0),
          }));
          const pValue =
            counts === undefined
              ? null
              : sampleRatioMismatch(
                  exp.arms.map((a) => ({
                    name: a.name,
                    weight: a.weight,
                    exposures: counts.get(a.name) ?? 0,
                  })),
                ).srm.p_value;
          return { id: exp.id, arms, pValue };
        }),
      );
    const snapshot = () => (pending ??= read().finally(() => (pending = undefined)));

    // Every worker reads the same store: under --workers take one value, not the sum.
    new Gauge({
      name: 'abgate_experiment_users',
      help: "Unique users first exposed in each arm, as the store counts them (the report's exposures)",
      labelNames: ['experiment', 'arm'],
      registers,
      aggregator: 'max',
      async collect() {
        const splits = await snapshot();
        this.reset();
        for (const e of splits)
          for (const a of e.arms)
            if (a.users !== undefined) this.set({ experiment: e.id, arm: a.name }, a.users);
      },
    });
    new Gauge({
      name: 'abgate_experiment_expected_share',
      help: 'Share of exposed users each arm should get: its weight over the sum of weights',
      labelNames: ['experiment', 'arm'],
      registers,
      aggregator: 'max',
      async collect() {
        const splits = await snapshot();
        this.reset();
        for (const e of splits)
          for (const a of e.arms) this.set({ experiment: e.id, arm: a.name }, a.expected);
      },
    });
    new Gauge({
      name: 'abgate_experiment_srm_p_value',
      help: 'p-value of the chi-square test of users per arm against the weights (a sample ratio mismatch below 0.001)',
      labelNames: ['experiment'],
      registers,
      aggregator: 'min',
      async collect() {
        const splits = await snapshot();
        this.reset();
        for (const e of splits) if (e.pValue !== null) this.set({ experiment: e.id }, e.pValue);
      },
    });
  }

  /** Records one finished request: prediction traffic (with `experiment`) or an API request (with `route`). */
  observeRequest(r: RequestRecord): void {
    const cls = statusClass(r.status);
    if (r.experiment === undefined) {
      if (r.route === undefined) return;
      const method = r.method;
      this.api(r.route, method, cls).inc();
      this.apiSeconds(r.route, method, cls).observe(r.totalMs / 1000);
      return;
    }
    if (r.passthrough) {
      this.passthrough(r.experiment, cls).inc();
      return;
    }
    const arm = r.arm ?? 'none';
    this.request(r.experiment, arm, cls).inc();
    const attempts = r.attempts;
    if (attempts !== undefined) {
      for (let i = 0; i < attempts.length; i++) {
        const a = attempts[i]!;
        this.attempt(r.experiment, a.arm, a.result).inc();
        this.attemptSeconds(r.experiment, a.arm).observe(a.ms / 1000);
      }
    }
    if (r.fallback) this.fallback(r.experiment, arm).inc();
  }

  /** Counts an exposure (from the proxy or the assignment API). */
  observeExposure(experiment: string, arm: string): void {
    this.exposure(experiment, arm).inc();
  }

  /** Counts what became of each outcome, in every experiment it was for; rejected ones under "none". */
  observeOutcomes(
    records: readonly Pick<OutcomeRecord, 'targets'>[],
    /** One per record; undefined for a record counted among the rejected instead. */
    statuses: readonly (OutcomeStatus | undefined)[],
    rejected: number,
  ): void {
    const counts = new Map<string, number>();
    records.forEach((record, i) => {
      const status = statuses[i];
      if (status === undefined) return;
      for (const t of record.targets) {
        const key = t.experiment + SEP + status;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    });
    for (const [key, n] of counts) {
      const [experiment, result] = key.split(SEP) as [string, string];
      this.outcome(experiment, result).inc(n);
    }
    if (rejected > 0) this.outcome('none', 'rejected').inc(rejected);
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.renderAll();
  }
}
