// Fault matrix (b): SIGKILL of the gateway while Redis is down. Everything acknowledged lives only in the
// journal; the next run on the same journal folder (started while Redis is still down) replays it once
// Redis is back. Outcomes cut off by the kill are re-sent with their event_id, as a client would.
import { describe, expect, it } from 'vitest';
import { sendOutcomes } from '../../helpers/ledger.js';
import {
  drained,
  expectStoreMatches,
  resendUnacknowledged,
  runLoad,
  until,
  useFaultFixture,
} from './fixture.js';

const fx = useFaultFixture(['crash']);

describe('fault matrix: SIGKILL of the gateway during a Redis outage', { timeout: 60_000 }, () => {
  it('replays every acknowledged event after a restart, and counts re-sent outcomes once', async () => {
    const first = await fx.start();
    const ledger = fx.ledger('crash');
    const load = runLoad(ledger, { prefix: 'k', predictAt: () => first.url });
    await until('outcomes applied before the outage', () => ledger.acknowledgedCount >= 40);
    await fx.redis.kill();
    const before = ledger.answers.queued;
    await until('outcomes journaled during the outage', () => ledger.answers.queued >= before + 60);
    await load.stop();

    // A batch with event_ids in flight at the kill: answered or not, it is re-sent below.
    const users = ledger.exposedUsers.slice(0, 50);
    const inFlight = sendOutcomes(
      ledger,
      first.url,
      users.map((u, i) => ({ user_id: u, metric: 'spend', value: 3, event_id: `kill-${i}` })),
    );
    await first.kill();
    await inFlight;

    const second = await fx.start({ journalDir: first.journalDir });
    await fx.redis.restart();
    await resendUnacknowledged(ledger, second.url);
    await drained(second);
    await expectStoreMatches(fx.redis, ledger);
    const ready = await second.get<{ store: { replayedEvents: number } }>('/readyz');
    expect(ready.store.replayedEvents).toBeGreaterThan(0);
  });
});
