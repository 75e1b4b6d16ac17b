// An EventStore that runs `record` in place of recordExposure and delegates everything else:
// the one way to hook exposures (metrics) without re-listing the interface.
import type { EventStore, Exposure } from './event-store.js';

export function interceptExposures(
  store: EventStore,
  record: (exposure: Exposure, next: (exposure: Exposure) => void) => void,
): EventStore {
  const next = (exposure: Exposure) => store.recordExposure(exposure);
  return {
    recordExposure: (exposure) => record(exposure, next),
    recordGuardrail: (observation) => store.recordGuardrail(observation),
    recordOutcomes: (records) => store.recordOutcomes(records),
    readAggregates: (query) => store.readAggregates(query),
    readDaily: (query) => store.readDaily(query),
    status: () => store.status(),
    close: () => store.close(),
  };
}
