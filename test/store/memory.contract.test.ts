// Runs the EventStore contract against the in-memory reference store.
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { describeEventStoreContract } from './event-store.contract.js';

describeEventStoreContract('MemoryEventStore', async (options) => {
  let clock = 1_700_000_000_000;
  const store = new MemoryEventStore({
    now: () => clock,
    attributionGraceMs: options?.attributionGraceMs ?? 60_000,
    ...(options?.dedupWindowSeconds === undefined
      ? {}
      : { dedupWindowMs: options.dedupWindowSeconds * 1000 }),
  });
  return {
    store,
    settle: async () => {},
    dispose: async () => {
      await store.close();
    },
    elapse: async (ms) => {
      clock += ms;
    },
    advanceClock: (ms) => {
      clock += ms;
    },
  };
});
