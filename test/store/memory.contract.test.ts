// Runs the EventStore contract against the in-memory reference store.
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { describeEventStoreContract } from './event-store.contract.js';

describeEventStoreContract('MemoryEventStore', async () => {
  const store = new MemoryEventStore();
  return { store, settle: async () => {}, dispose: () => store.close() };
});
