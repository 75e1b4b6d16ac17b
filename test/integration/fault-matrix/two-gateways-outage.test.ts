// Fault matrix (d): two gateways, each with its own journal, during a Redis outage. Predictions go to one,
// the outcomes of those users to the other, so every outcome reaches Redis from another process than its
// exposure, in either order. Held outcomes must make "an outcome that follows its exposure is attributed"
// hold across processes: 0 unattributed, 0 held once both replayed.
import { describe, expect, it } from 'vitest';
import {
  drained,
  expectStoreMatches,
  resendUnacknowledged,
  runLoad,
  until,
  useFaultFixture,
} from './fixture.js';

const fx = useFaultFixture(['pair']);

describe('fault matrix: two gateways during a Redis outage', { timeout: 60_000 }, () => {
  it('attributes every outcome sent to the other gateway than its exposure', async () => {
    const [a, b] = await Promise.all([fx.start(), fx.start()]);
    const ledger = fx.ledger('pair');
    const load = runLoad(ledger, { prefix: 'p', predictAt: () => a.url, outcomeAt: () => b.url });
    await until('outcomes applied before the outage', () => ledger.acknowledgedCount >= 40);
    await fx.redis.kill();
    const before = ledger.answers.queued;
    await until('outcomes journaled during the outage', () => ledger.answers.queued >= before + 60);
    await load.stop();

    // b's journal (outcomes) may well reach Redis before a's (their exposures).
    await fx.redis.restart();
    await resendUnacknowledged(ledger, b.url);
    await Promise.all([drained(a), drained(b)]);
    expect(ledger.unattributedAnswers).toBe(0);
    await expectStoreMatches(fx.redis, ledger);
  });
});
