// Wraps an EventStore so every exposure recorded, from the proxy or the assignment API, is counted
// (forced sightings are not exposures).
import type { EventStore } from '../store/event-store.js';
import { interceptExposures } from '../store/intercept-exposures.js';
import type { GatewayMetrics } from './metrics.js';

export function instrumentStore(store: EventStore, metrics: GatewayMetrics): EventStore {
  return interceptExposures(store, (exposure, next) => {
    next(exposure);
    if (exposure.forced !== true) metrics.observeExposure(exposure.experiment, exposure.arm);
  });
}
