// Fault matrix (c): `--workers 2`, SIGKILL of one worker while Redis is down. The primary re-forks a worker
// into the dead one's journal slot, which replays what the dead one acknowledged once Redis is back.
// Outcomes reach either worker, whichever exposed the user: cross-process attribution (held outcomes).
import { describe, expect, it } from 'vitest';
import {
  drained,
  expectStoreMatches,
  resendUnacknowledged,
  runLoad,
  until,
  useFaultFixture,
} from './fixture.js';

const fx = useFaultFixture(['workers']);

describe('fault matrix: SIGKILL of one worker during a Redis outage', { timeout: 60_000 }, () => {
  it('re-forks the worker into its slot and replays its journal: nothing lost, nothing doubled', async () => {
    const gw = await fx.start({ workers: 2 });
    const [victim, survivor] = await gw.workerPids(2);
    const ledger = fx.ledger('workers');
    // Separate connections per client spread requests over both workers.
    const load = runLoad(ledger, { prefix: 'w', clients: 12, predictAt: () => gw.url });
    await until('outcomes applied before the outage', () => ledger.acknowledgedCount >= 40);
    await fx.redis.kill();
    const before = ledger.answers.queued;
    await until('outcomes journaled during the outage', () => ledger.answers.queued >= before + 60);
    await load.stop();

    process.kill(victim!, 'SIGKILL');
    let reforked = 0;
    await until('a new worker in the dead one’s slot', async () => {
      const pids = await gw.workerPids(2);
      reforked = pids.find((p) => p !== victim && p !== survivor) ?? 0;
      return !pids.includes(victim!) && reforked !== 0;
    });
    expect(gw.output()).toMatch(/worker died; starting a new one in its slot/);

    await fx.redis.restart();
    await resendUnacknowledged(ledger, gw.url);
    await drained(gw, 2);
    // The new worker replayed the dead one's journal (its slot), not an empty one.
    await until('the new worker answered /readyz', async () => {
      const r = await gw.readyz();
      if (r.pid !== reforked) return false;
      expect(r.store.replayedEvents).toBeGreaterThan(0);
      return true;
    });
    await expectStoreMatches(fx.redis, ledger);
  });
});
