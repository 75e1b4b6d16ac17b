// An EventStore that runs `record` in place of recordExposure and delegates everything else:
// the one way to hook exposures (metrics, the repeat-exposure cache) without re-listing the interface.
import type { EventStore, Exposure } from './event-store.js';

export function interceptExposures(
  store: EventStore,
  record: (exposure: Exposure, next: (exposure: Exposure) => void) => void,
): EventStore {
  const next = (exposure: Exposure) => store.recordExposure(exposure);
  return {
    recordExposure: (exposure) => record(exposure, next),
    recordOutcomes: (records) => store.recordOutcomes(records),
    readAggregates: (query) => store.readAggregates(query),
    readUnattributed: () => store.readUnattributed(),
    status: () => store.status(),
    close: () => store.close(),
  };
}
