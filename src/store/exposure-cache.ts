// Skips exposure writes that cannot change anything: a user seen again in the same arm.
// First exposure wins in every store, so a repeat of the same (experiment, user, arm) is a no-op
// there; only its cost remains (a queued event and a Redis script call per prediction request).
import type { EventStore } from './event-store.js';
import { interceptExposures } from './intercept-exposures.js';

export interface ExposureCacheOptions {
  /** Most (experiment, user) pairs remembered; the least recently seen are forgotten. @default 100000 */
  maxEntries?: number;
}

/**
 * Wraps `store` so that an exposure already recorded by this process for the same experiment,
 * user and arm is not sent again. A different arm always goes through (multiple-arm users are
 * still detected by the store). Everything else is delegated unchanged.
 */
export function withExposureCache(store: EventStore, options: ExposureCacheOptions = {}): EventStore {
  const maxEntries = options.maxEntries ?? 100_000;
  // Insertion order doubles as recency: a hit is moved to the end, the oldest entry is evicted.
  const armOf = new Map<string, string>();
  return interceptExposures(store, (exposure, next) => {
    // Per phase: a user's first exposure in a new phase must reach the store.
    const key = `${exposure.experiment}\u0000${exposure.phase ?? 1}\u0000${exposure.userId}`;
    const seen = armOf.get(key);
    if (seen === exposure.arm) {
      armOf.delete(key);
      armOf.set(key, seen);
      return;
    }
    next(exposure);
    if (seen === undefined) {
      armOf.set(key, exposure.arm);
      if (armOf.size > maxEntries) armOf.delete(armOf.keys().next().value!);
    }
  });
}
