// Opt-in soak (ABGATE_SOAK=1; rounds: ABGATE_SOAK_ROUNDS, default 10): the faults of the matrix in a row on
// one `--workers 2` gateway under continuous load — Redis killed and restarted, a worker SIGKILLed, the
// whole gateway SIGKILLed and restarted on its journal folder — then the ledger against the store.
// Every outcome has an event_id, so the ones cut off by a kill are re-sent.
import { describe, it } from 'vitest';
import type { GatewayProcess } from '../../helpers/gateway-process.js';
import {
  drained,
  expectStoreMatches,
  resendUnacknowledged,
  runLoad,
  until,
  useFaultFixture,
} from './fixture.js';

const SOAK = process.env.ABGATE_SOAK === '1';
const ROUNDS = Number(process.env.ABGATE_SOAK_ROUNDS ?? 10);
const fx = useFaultFixture(['soak']);

describe.skipIf(!SOAK)('fault matrix soak', () => {
  it(
    `survives ${ROUNDS} rounds of outages and crashes under load`,
    { timeout: ROUNDS * 60_000 },
    async () => {
      let gw: GatewayProcess = await fx.start({ workers: 2 });
      const ledger = fx.ledger('soak');
      const load = runLoad(ledger, { prefix: 's', users: 2000, anonymous: false, predictAt: () => gw.url });
      const progress = async (n: number) => {
        const target = ledger.acknowledgedCount + n;
        await until(`${n} more outcomes acknowledged`, () => ledger.acknowledgedCount >= target, 30_000);
      };
      for (let round = 0; round < ROUNDS; round++) {
        await progress(50);
        await fx.redis.kill();
        await until('outcomes journaled', () => ledger.answers.queued > 0, 30_000);
        const [victim] = await gw.workerPids(2);
        process.kill(victim!, 'SIGKILL');
        await until('worker re-forked', async () => !(await gw.workerPids(2)).includes(victim!), 30_000);
        if (round % 2 === 1) {
          await gw.kill();
          gw = await fx.start({ workers: 2, journalDir: gw.journalDir });
        }
        await fx.redis.restart();
      }
      await load.stop();
      await resendUnacknowledged(ledger, gw.url, 30_000);
      await drained(gw, 2, 60_000);
      await expectStoreMatches(fx.redis, ledger, 30_000);
    },
  );
});
