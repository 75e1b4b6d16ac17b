// Fault matrix (f): the journal's disk fills up during a Redis outage, then is freed. Needs root to mount
// a small tmpfs (skipped otherwise). Outcomes that can be neither applied nor journaled are answered 503
// (not acknowledged) and the client re-sends them with their event_id; what was acknowledged survives.
// A shutdown that cannot save what it holds exits non-zero and names the count.
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { predict } from '../../helpers/ledger.js';
import {
  drained,
  expectStoreMatches,
  resendUnacknowledged,
  runLoad,
  until,
  useFaultFixture,
} from './fixture.js';
import { mountSmallDisk, whyNoTmpfs, type SmallDisk } from './small-disk.js';

// Said out loud, not skipped in silence: a run without root has not tested the full disk.
const noTmpfs = whyNoTmpfs();
if (noTmpfs !== null)
  console.warn(
    `[skip] cannot mount a tmpfs (${noTmpfs}), which needs root: the disk-full fault tests are skipped`,
  );

const fx = useFaultFixture(['full', 'fullstop']);
const disks: SmallDisk[] = [];
afterAll(async () => {
  await Promise.all(fx.gateways.map((g) => g.kill()));
  for (const d of disks.splice(0)) d.unmount();
});

function smallDisk(): SmallDisk {
  const disk = mountSmallDisk();
  disks.push(disk);
  return disk;
}

describe.skipIf(noTmpfs !== null)(
  `fault matrix: disk full during a Redis outage (tmpfs)${noTmpfs === null ? '' : ' [skipped: cannot mount a tmpfs, needs root]'}`,
  { timeout: 60_000 },
  () => {
    it('answers 503 while nothing can keep an outcome, and loses nothing acknowledged once the disk is freed', async () => {
      const disk = smallDisk();
      const gw = await fx.start({ journalDir: disk.path });
      const ledger = fx.ledger('full');
      // Every outcome has an event_id: one answered 503 is re-sent, as the API asks.
      const load = runLoad(ledger, { prefix: 'f', predictAt: () => gw.url, anonymous: false });
      await until('outcomes applied', () => ledger.acknowledgedCount >= 40);
      await fx.redis.kill();
      const queued = ledger.answers.queued;
      await until('outcomes journaled during the outage', () => ledger.answers.queued >= queued + 20);
      disk.fill();
      const errors = ledger.answers.outcomeErrors;
      await until(
        'outcomes refused (503) with the disk full',
        () => ledger.answers.outcomeErrors >= errors + 10,
      );
      expect((await gw.readyz()).store.journalFailing).toBe(true);

      disk.free();
      await until('the journal writable again', async () => !(await gw.readyz()).store.journalFailing);
      await load.stop();
      await fx.redis.restart();
      await resendUnacknowledged(ledger, gw.url);
      await drained(gw);
      await expectStoreMatches(fx.redis, ledger);
      expect(gw.output()).toMatch(/ENOSPC/);
    });

    it('exits non-zero naming the events it could not keep when it must stop with a full disk', async () => {
      const disk = smallDisk();
      const gw = await fx.start({ journalDir: disk.path });
      await fx.redis.kill();
      disk.fill();
      const ledger = fx.ledger('fullstop');
      const agent = new Agent({ connections: 8 });
      await Promise.all(
        Array.from({ length: 40 }, (_, i) => predict(ledger, gw.url, '/fullstop', `s-${i}`, agent)),
      );
      await agent.close();
      expect(ledger.exposedUsers).toHaveLength(40);

      expect(await gw.stop(30_000)).toBe(1);
      const m = /shut down with (\d+) events neither applied to Redis nor saved to the journal/.exec(
        gw.output(),
      );
      expect(m, gw.output().slice(-2000)).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThanOrEqual(40);
      await fx.redis.restart();
    });
  },
);
