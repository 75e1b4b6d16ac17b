// Fault matrix (a): SIGTERM under load, as in every rolling deploy. Requests in flight at the signal
// (held 150 ms by the upstream) are all answered, and everything the clients were told is counted once.
import { describe, expect, it } from 'vitest';
import { expectStoreMatches, runLoad, until, useFaultFixture } from './fixture.js';

const fx = useFaultFixture(['term']);

describe('fault matrix: SIGTERM under load', { timeout: 60_000 }, () => {
  it('answers every request in flight at the signal and counts what it answered, exactly once', async () => {
    const gw = await fx.start();
    const ledger = fx.ledger('term');
    const load = runLoad(ledger, { prefix: 't', clients: 16, predictAt: () => gw.url, path: '/slow/150' });
    await until('some outcomes acknowledged', () => ledger.acknowledgedCount >= 60);

    const inFlightAtSignal = load.sent - ledger.answers.predictions - ledger.answers.outcomes;
    gw.child.kill('SIGTERM');
    await load.stop(); // no new requests; the ones in flight get their answers
    expect(await gw.exited).toBe(0);

    expect(inFlightAtSignal).toBeGreaterThan(0);
    expect(ledger.answers.predictionErrors).toBe(0);
    expect(ledger.answers.outcomeErrors).toBe(0);
    expect(ledger.unacknowledged()).toEqual([]);
    expect(gw.output()).not.toMatch(/dropped/);
    await expectStoreMatches(fx.redis, ledger);
  });
});
