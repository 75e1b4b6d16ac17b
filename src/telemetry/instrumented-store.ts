// Wraps an EventStore so every exposure recorded, from the proxy or the assignment API, is counted.
import type { EventStore } from '../store/event-store.js';
import type { GatewayMetrics } from './metrics.js';

export function instrumentStore(store: EventStore, metrics: GatewayMetrics): EventStore {
  return {
    recordExposure(exposure) {
      store.recordExposure(exposure);
      metrics.observeExposure(exposure.experiment, exposure.arm);
    },
    recordOutcomes: (records) => store.recordOutcomes(records),
    readAggregates: (query) => store.readAggregates(query),
    readUnattributed: () => store.readUnattributed(),
    status: () => store.status(),
    close: () => store.close(),
  };
}
