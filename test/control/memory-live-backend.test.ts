import { MemoryLiveBackend } from '../../src/control/memory-live-backend.js';
import { entryOf, freshId, liveBackendContract, stateOf } from './live-backend.contract.js';
import { describe, expect, it } from 'vitest';

liveBackendContract('memory', async () => {
  const backend = new MemoryLiveBackend();
  return { a: backend, b: backend, close: () => backend.close() };
});

describe('MemoryLiveBackend', () => {
  it('caps the history, dropping the oldest entries', async () => {
    const backend = new MemoryLiveBackend({ historyLimit: 3 });
    const id = freshId();
    for (let v = 1; v <= 5; v++)
      await backend.compareAndSet(id, v - 1, stateOf(id, v), entryOf(stateOf(id, v)));
    expect((await backend.history(id)).map((e) => e.version)).toEqual([3, 4, 5]);
  });
});
