// Fault matrix (e): Redis without persistence restarts and has lost everything. The gateway must notice and
// expose returning users again (its repeat-exposure cache must not hide them), so their outcomes are
// attributed: after the loss, the store counts exactly what the clients were told after the loss.
import { describe, expect, it } from 'vitest';
import { drained, expectStoreMatches, runLoad, until, useFaultFixture } from './fixture.js';

// No AOF, no RDB: a restart is an empty Redis.
const fx = useFaultFixture(['amnesia'], { appendOnly: false });

describe('fault matrix: Redis restarted without persistence', { timeout: 60_000 }, () => {
  it('re-exposes returning users after the loss and attributes their outcomes', async () => {
    const gw = await fx.start();
    const before = fx.ledger('amnesia');
    const first = runLoad(before, { prefix: 'r', users: 150, predictAt: () => gw.url });
    await until('users exposed and outcomes applied', () => before.acknowledgedCount >= 80);
    await first.stop();
    await drained(gw);
    await expectStoreMatches(fx.redis, before);

    await fx.redis.kill();
    await fx.redis.restart();
    // The same users come back: a new ledger holds what the clients are told from now on.
    const after = fx.ledger('amnesia');
    const second = runLoad(after, { prefix: 'r', users: 150, predictAt: () => gw.url });
    await until('returning users exposed again, with outcomes', () => after.acknowledgedCount >= 80);
    await second.stop();
    expect(after.exposedUsers.filter((u) => before.armOf(u) !== undefined).length).toBeGreaterThan(50);
    await drained(gw);
    await expectStoreMatches(fx.redis, after);
  });
});
