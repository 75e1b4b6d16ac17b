// Prometheus metrics (prom-client) on a registry owned by the gateway instance, never the global one.
// Labels carry experiment, arm and status class only: never user ids.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventStore, OutcomeStatus } from '../store/event-store.js';
import type { RequestRecord } from './request-record.js';

export interface GatewayMetricsOptions {
  /** Replaces render(): under node:cluster, fetches the aggregate of every worker. */
  aggregate?: (registry: Registry) => () => Promise<string>;
  /** Also export Node process metrics (CPU, memory, event loop). @default true */
  processMetrics?: boolean;
}

function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'experiment' | 'arm' | 'status_class'>;
  private readonly upstreamSeconds: Histogram<'experiment' | 'arm'>;
  private readonly fallbacks: Counter<'experiment' | 'arm'>;
  private readonly exposures: Counter<'experiment' | 'arm'>;
  private readonly outcomes: Counter<'result'>;
  /** Label children cached by key: looking them up per request is the expensive part of prom-client. */
  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly upstreamChildren = new Map<string, { observe(v: number): void }>();
  private readonly exposureChildren = new Map<string, { inc(): void }>();

  constructor(store: EventStore, options: GatewayMetricsOptions = {}) {
    const registers = [this.registry];
    this.renderAll = options.aggregate ? options.aggregate(this.registry) : () => this.registry.metrics();
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'abgate_' });
    this.requests = new Counter({
      name: 'abgate_requests_total',
      help: 'Prediction requests answered, by experiment, arm and status class',
      labelNames: ['experiment', 'arm', 'status_class'],
      registers,
    });
    this.upstreamSeconds = new Histogram({
      name: 'abgate_upstream_duration_seconds',
      help: 'Time until the upstream model server answered with headers, per arm',
      labelNames: ['experiment', 'arm'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.fallbacks = new Counter({
      name: 'abgate_fallbacks_total',
      help: 'Requests retried on control after their arm failed (labelled with the failed arm)',
      labelNames: ['experiment', 'arm'],
      registers,
    });
    this.exposures = new Counter({
      name: 'abgate_exposures_total',
      help: 'Exposures recorded (requests by in-experiment users; not unique users)',
      labelNames: ['experiment', 'arm'],
      registers,
    });
    this.outcomes = new Counter({
      name: 'abgate_outcomes_total',
      help: 'Outcome events by result: accepted, duplicate, unattributed, queued, rejected',
      labelNames: ['result'],
      registers,
    });
    const storeGauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    storeGauge(
      'abgate_event_queue_depth',
      'Events waiting in memory to be written to the store',
      () => store.status().queueDepth,
    );
    storeGauge(
      'abgate_journal_bytes',
      'Bytes in the on-disk journal of unsent events',
      () => store.status().journalBytes,
    );
    storeGauge(
      'abgate_events_replayed_total',
      'Events written from the journal after an outage or restart',
      () => store.status().replayedEvents,
    );
    storeGauge(
      'abgate_events_failed_total',
      'Events the store gave up on',
      () => store.status().failedEvents,
    );
    storeGauge(
      'abgate_store_errors_total',
      'Errors talking to the event store (Redis)',
      () => store.status().errors,
    );
    storeGauge('abgate_store_connected', '1 when the event store is reachable', () =>
      store.status().connected ? 1 : 0,
    );
  }

  /** Records one finished prediction request. */
  observeRequest(r: RequestRecord): void {
    if (r.experiment === undefined) return;
    const arm = r.arm ?? 'none';
    const key = `${r.experiment}\u0000${arm}\u0000${r.status}`;
    let child = this.requestChildren.get(key);
    if (!child) {
      child = this.requests.labels(r.experiment, arm, statusClass(r.status));
      this.requestChildren.set(key, child);
    }
    child.inc();
    if (r.upstreamMs !== undefined) {
      const hkey = `${r.experiment}\u0000${arm}`;
      let h = this.upstreamChildren.get(hkey);
      if (!h) this.upstreamChildren.set(hkey, (h = this.upstreamSeconds.labels(r.experiment, arm)));
      h.observe(r.upstreamMs / 1000);
    }
    if (r.fallback) this.fallbacks.labels(r.experiment, r.fallbackFrom ?? 'none').inc();
  }

  /** Counts an exposure (from the proxy or the assignment API). */
  observeExposure(experiment: string, arm: string): void {
    const key = `${experiment}\u0000${arm}`;
    let child = this.exposureChildren.get(key);
    if (!child) this.exposureChildren.set(key, (child = this.exposures.labels(experiment, arm)));
    child.inc();
  }

  observeOutcomes(statuses: readonly OutcomeStatus[], rejected: number): void {
    const counts: Record<string, number> = {};
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    for (const [result, n] of Object.entries(counts)) this.outcomes.labels(result).inc(n);
    if (rejected > 0) this.outcomes.labels('rejected').inc(rejected);
  }

  contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.renderAll();
  }

  private readonly renderAll: () => Promise<string>;
}
