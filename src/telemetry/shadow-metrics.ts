// Prometheus series of shadow arms: how their copies of requests ended, how long they took, how many
// were dropped for want of capacity.
import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from './metrics.js';

export type ShadowResult = '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'unavailable';

export interface ShadowMetrics {
  observe(experiment: string, arm: string, result: ShadowResult, seconds: number): void;
  dropped(experiment: string, arm: string): void;
  /** A sampled comparison of the shadow's answer body with the served one. */
  compared(experiment: string, arm: string, same: boolean): void;
}

export function registerShadowMetrics(registry: Registry): ShadowMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: 'abgate_shadow_requests_total',
    help: 'Copies of requests sent to each shadow arm, by how they ended (status class, timeout, unavailable)',
    labelNames: ['experiment', 'arm', 'result'],
    registers,
  });
  const seconds = new Histogram({
    name: 'abgate_shadow_upstream_seconds',
    help: "Time to each shadow arm's response headers (or failure), seconds",
    labelNames: ['experiment', 'arm'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const dropped = new Counter({
    name: 'abgate_shadow_dropped_total',
    help: 'Copies of requests not sent to a shadow arm because ABGATE_SHADOW_CONCURRENCY copies were in flight',
    labelNames: ['experiment', 'arm'],
    registers,
  });
  const compared = new Counter({
    name: 'abgate_shadow_compared_total',
    help: 'Sampled shadow answers compared byte for byte with the served answer (ABGATE_SHADOW_COMPARE_RATE), by result',
    labelNames: ['experiment', 'arm', 'result'],
    registers,
  });
  return {
    compared(experiment, arm, same) {
      compared.labels(experiment, arm, same ? 'match' : 'mismatch').inc();
    },
    observe(experiment, arm, result, s) {
      requests.labels(experiment, arm, result).inc();
      seconds.labels(experiment, arm).observe(s);
    },
    dropped(experiment, arm) {
      dropped.labels(experiment, arm).inc();
    },
  };
}
