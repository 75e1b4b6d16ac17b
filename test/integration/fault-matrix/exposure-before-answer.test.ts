// Regression (issue 8, the event promise): a prediction was answered before its exposure's line was
// written to the journal file (the write loop waited behind an fsync); a SIGKILL milliseconds after the
// answer lost the exposure. Write-ahead means: written before the answer. The journal now writes each
// task's lines synchronously right after it (test/store/journal.test.ts pins that deterministically;
// this case shows it end to end, through a real process).
//
// Redis is down, so nothing but the journal can keep the exposures; a burst of predictions, then SIGKILL
// the moment the last answer arrives, three times over on the same journal folder. After the restart
// (Redis back) the store must count every user the clients were told an arm for. Before the fix one kill
// lost a few exposures in about two runs of three, three kills lost 10-44 of 900 in every run; the loss
// did not need a busy fsync (EBA_FSYNC_MS=10000, no timed fsync during the test, still lost ~15 of 900).
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { predict } from '../../helpers/ledger.js';
import { drained, expectStoreMatches, useFaultFixture } from './fixture.js';

const fx = useFaultFixture(['burst']);
const KILLS = 3;
const BURST = 300;

describe('fault matrix: exposure written before the answer', { timeout: 60_000 }, () => {
  it('keeps every exposure a client was answered for when the gateway is SIGKILLed right after the answers', async () => {
    const ledger = fx.ledger('burst');
    // Frequent fsyncs kept the old write loop busy, the widest window where answered lines waited in memory.
    const env = { ABGATE_JOURNAL_FSYNC_MS: process.env.EBA_FSYNC_MS ?? '1' };
    let journalDir: string | undefined;
    for (let kill = 0; kill < KILLS; kill++) {
      const gw = await fx.start({ env, ...(journalDir ? { journalDir } : {}) });
      journalDir = gw.journalDir;
      if (kill === 0) await fx.redis.kill();
      const agent = new Agent({ connections: 100 });
      await Promise.all(
        Array.from({ length: BURST }, (_, i) => predict(ledger, gw.url, '/burst', `b-${kill}-${i}`, agent)),
      );
      await gw.kill(); // the instant the last answer arrived
      await agent.close();
    }
    expect(ledger.answers.predictionErrors).toBe(0);
    expect(ledger.exposedUsers).toHaveLength(KILLS * BURST);

    await fx.redis.restart();
    const last = await fx.start({ ...(journalDir ? { journalDir } : {}) });
    await drained(last); // everything the journals kept is applied: what is missing now was never written
    await expectStoreMatches(fx.redis, ledger, 2000);
  });
});
