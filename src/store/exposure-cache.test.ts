import { describe, expect, it } from 'vitest';
import type { EventStore, Exposure } from './event-store.js';
import { MemoryEventStore } from './memory-event-store.js';
import { withExposureCache } from './exposure-cache.js';

/** The memory store, recording which exposures reached it. */
function recording() {
  const inner = new MemoryEventStore();
  const seen: Exposure[] = [];
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    recordExposure(e: Exposure) {
      seen.push(e);
      inner.recordExposure(e);
    },
  });
  return { inner, seen, store };
}

const exposure = (userId: string, arm: string): Exposure => ({ experiment: 'x', arm, userId, timestamp: 0 });
const read = (store: EventStore) => store.readAggregates({ experiment: 'x', arms: ['a', 'b'], metrics: [] });

describe('withExposureCache', () => {
  it('sends a repeat of the same user and arm once, with the same aggregates as without the cache', async () => {
    const { inner, seen, store } = recording();
    const cached = withExposureCache(store);
    const plain = new MemoryEventStore();
    for (const e of [exposure('u1', 'a'), exposure('u1', 'a'), exposure('u2', 'b'), exposure('u1', 'a')]) {
      cached.recordExposure(e);
      plain.recordExposure(e);
    }
    expect(seen.map((e) => e.userId)).toEqual(['u1', 'u2']);
    expect(await read(inner)).toEqual(await read(plain));
  });

  it('always passes a different arm through, so multiple-arm users are still counted', async () => {
    const { inner, seen, store } = recording();
    const cached = withExposureCache(store);
    cached.recordExposure(exposure('u1', 'a'));
    cached.recordExposure(exposure('u1', 'b'));
    cached.recordExposure(exposure('u1', 'b'));
    expect(seen.map((e) => e.arm)).toEqual(['a', 'b', 'b']);
    const agg = await read(inner);
    expect(agg.multipleArmUsers).toBe(1);
    expect(agg.arms.map((a) => a.exposures)).toEqual([1, 0]);
  });

  it('forgets the least recently seen users beyond maxEntries', () => {
    const { seen, store } = recording();
    const cached = withExposureCache(store, { maxEntries: 2 });
    cached.recordExposure(exposure('u1', 'a'));
    cached.recordExposure(exposure('u2', 'a'));
    cached.recordExposure(exposure('u1', 'a')); // hit: u1 becomes the most recent
    cached.recordExposure(exposure('u3', 'a')); // evicts u2
    cached.recordExposure(exposure('u2', 'a')); // sent again
    cached.recordExposure(exposure('u1', 'a')); // sent again: u1 was evicted when u2 came back
    expect(seen.map((e) => e.userId)).toEqual(['u1', 'u2', 'u3', 'u2', 'u1']);
  });
});
