// recordOutcomes' pending answers: settled per id, 'queued' for whatever the wait did not see settled.
import { describe, expect, it } from 'vitest';
import { OutcomeWaiters } from '../../src/store/redis/outcome-waiters.js';

describe('OutcomeWaiters', () => {
  it('resolves in id order once every id is settled', async () => {
    const w = new OutcomeWaiters();
    const p = w.wait(['a', 'b', 'c'], 60_000);
    w.settle('c', 'duplicate');
    w.settle('a', 'accepted');
    w.settle('x', 'accepted'); // unknown: ignored
    w.settle('b', 'unattributed');
    expect(await p).toEqual(['accepted', 'unattributed', 'duplicate']);
  });

  it("answers 'queued' for ids not settled in time, and forgets them", async () => {
    const w = new OutcomeWaiters();
    const p = w.wait(['a', 'b'], 10);
    w.settle('a', 'accepted');
    expect(await p).toEqual(['accepted', 'queued']);
    w.settle('b', 'accepted'); // too late: nothing happens
  });

  it('settles everything with one status (at close)', async () => {
    const w = new OutcomeWaiters();
    const p = w.wait(['a', 'b'], 60_000);
    w.settle('b', 'duplicate');
    w.settleAll('queued');
    expect(await p).toEqual(['queued', 'duplicate']);
  });
});
