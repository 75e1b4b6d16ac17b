// Regression (issue 8, the event promise): a prediction was answered before its exposure's line was
// written to the journal file (the write loop waited behind an fsync); a SIGKILL milliseconds after the
// answer lost the exposure. Write-ahead means: written before the answer. The journal now writes each
// task's lines synchronously right after it (test/store/journal.test.ts pins that deterministically;
// this case shows it end to end, through a real process).
//
// Redis is down, so nothing but the journal can keep the exposures; a burst of predictions, then SIGKILL
// the moment the last answer arrives; after the restart (Redis back) the store must count every user the
// clients were told an arm for.
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { predict } from '../../helpers/ledger.js';
import { expectStoreMatches, useFaultFixture } from './fixture.js';

const fx = useFaultFixture(['burst']);

describe('fault matrix: exposure written before the answer', () => {
  it('keeps every exposure a client was answered for when the gateway is SIGKILLed right after the answers', async () => {
    // Frequent fsyncs keep the journal's write loop busy, the window where answered lines wait in memory.
    const first = await fx.start({ env: { ABGATE_JOURNAL_FSYNC_MS: '1' } });
    const ledger = fx.ledger('burst');
    await fx.redis.kill();

    const agent = new Agent({ connections: 64 });
    for (let round = 0; round < 5; round++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => predict(ledger, first.url, '/burst', `b-${round}-${i}`, agent)),
      );
    }
    await first.kill(); // the instant the last answer arrived
    await agent.close();
    expect(ledger.answers.predictionErrors).toBe(0);
    expect(ledger.exposedUsers).toHaveLength(500);

    await fx.redis.restart();
    await fx.start({ journalDir: first.journalDir });
    await expectStoreMatches(fx.redis, ledger);
  });
});
