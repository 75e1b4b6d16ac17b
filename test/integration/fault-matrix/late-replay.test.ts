// Fault matrix (g): a crash between Redis applying a batch and the journal deleting it, with the restart
// long after, past the event_id dedup window. The journal files of the crashed run are put back after
// they were applied (exactly what such a crash leaves), the dedup keys are left to expire, and a new run
// replays them: the per-writer high-water marks must skip every one (no double count, no time limit).
import { cp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  drained,
  expectStoreMatches,
  resendUnacknowledged,
  runLoad,
  until,
  useFaultFixture,
} from './fixture.js';

const fx = useFaultFixture(['late']);
const WINDOW = { ABGATE_DEDUP_WINDOW_S: '1' };

describe('fault matrix: restart long after a crash between apply and delete', { timeout: 60_000 }, () => {
  it('counts nothing twice when already applied journal files are replayed after the dedup window', async () => {
    const first = await fx.start({ env: WINDOW });
    const ledger = fx.ledger('late');
    const load = runLoad(ledger, { prefix: 'l', predictAt: () => first.url });
    await until('outcomes applied', () => ledger.acknowledgedCount >= 40);
    await fx.redis.kill();
    const before = ledger.answers.queued;
    await until('outcomes journaled during the outage', () => ledger.answers.queued >= before + 60);
    await load.stop();
    await first.kill();

    const slot = join(first.journalDir, 'slot-0');
    const logs = (await readdir(slot)).filter((f) => f.endsWith('.log'));
    expect(logs.length).toBeGreaterThan(0);
    const saved = join(first.journalDir, 'saved');
    await cp(slot, saved, { recursive: true });

    await fx.redis.restart();
    const second = await fx.start({ journalDir: first.journalDir, env: WINDOW });
    await resendUnacknowledged(ledger, second.url);
    await drained(second);
    await expectStoreMatches(fx.redis, ledger);
    expect(await second.stop()).toBe(0);
    expect((await readdir(slot)).filter((f) => f.endsWith('.log'))).toEqual([]);

    // The crash "between apply and delete": the applied files are back, and the dedup window is over.
    for (const f of logs) await cp(join(saved, f), join(slot, f));
    const redis = new Redis(fx.redis.url);
    try {
      await until('event_ids forgotten (dedup window over)', async () => {
        return (await redis.keys('abgate:*:seen:*')).length === 0;
      });
    } finally {
      redis.disconnect();
    }
    const third = await fx.start({ journalDir: first.journalDir, env: WINDOW });
    await drained(third);
    expect((await third.readyz()).store.replayedEvents).toBeGreaterThan(0);
    await expectStoreMatches(fx.redis, ledger);
  });
});
