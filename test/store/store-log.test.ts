// The store's log: a state change once, then a slow reminder; other errors once per kind and period.
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '../../src/config/settings.js';
import { createRedisEventStore } from '../../src/store/create-redis-store.js';
import { StoreLog } from '../../src/store/store-log.js';
import { freePort } from '../setup/redis-server.js';

function capture() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as (typeof lines)[number]);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

const connectionError = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });

describe('StoreLog', () => {
  it('logs an outage once, reminds every reminder period, and logs the recovery with its length', async () => {
    let now = 0;
    const { lines, logger } = capture();
    const log = new StoreLog(logger, { reminderMs: 60_000, now: () => now });
    log.state(false);
    for (let s = 0; s < 130; s += 2) {
      now = s * 1000;
      log.error(connectionError()); // every 2 s, as ioredis reconnects
    }
    now = 131_000;
    log.state(true);
    await new Promise((r) => setImmediate(r));
    const messages = lines.map((l) => l.msg);
    expect(messages).toEqual([
      'event store: Redis is unreachable; events are kept in the journal and applied when it returns',
      'event store: Redis is still unreachable',
      'event store: Redis is still unreachable',
      'event store: Redis is reachable again; journaled events are being applied',
    ]);
    expect(lines[3]).toMatchObject({ down_s: 131, errors: 66 });
    expect(JSON.stringify(lines)).not.toMatch(/stack/);
  });

  it('logs other errors once per kind and period, saying how often they repeated', async () => {
    let now = 0;
    const { lines, logger } = capture();
    const log = new StoreLog(logger, { reminderMs: 10_000, now: () => now });
    for (let i = 0; i < 5; i++) log.error(new Error(`WRONGTYPE key ${i} holds the wrong kind of value`));
    now = 11_000;
    log.error(new Error('WRONGTYPE key 9 holds the wrong kind of value'));
    log.error(new Error('the journal is writable again'));
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.msg, l.repeated])).toEqual([
      ['event store error', undefined],
      ['event store error', 4],
      ['event store: the journal is writable again', undefined],
    ]);
  });
});

describe('the v1 data migration while Redis is unreachable', () => {
  it('logs its first failure and then reminders, not every retry, and no stack', async () => {
    const { lines, logger } = capture();
    logger.level = 'debug';
    const journalDir = mkdtempSync(join(tmpdir(), 'abgate-migrate-log-'));
    const closed = await freePort(); // nothing listens there
    const settings = loadSettings({
      REDIS_URL: `redis://127.0.0.1:${closed}`,
      ABGATE_JOURNAL_DIR: journalDir,
    });
    const store = await createRedisEventStore(settings, {
      slot: 0,
      logger,
      experiments: [{ id: 'old', metrics: [{ name: 'm', type: 'binomial' }] }],
      reminderMs: 60_000,
      migrationRetryMs: 5,
    });
    try {
      const end = Date.now() + 10_000;
      while (!lines.some((l) => l.msg === 'v1 data migration retry failed' && Number(l.failures) >= 5)) {
        if (Date.now() > end) throw new Error('the migration did not retry');
        await new Promise((r) => setTimeout(r, 10));
      }
      const warned = lines.filter((l) => l.msg.startsWith('v1 data migration failed'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatchObject({ level: 40, failures: 1 });
      expect(JSON.stringify(warned[0])).not.toContain('stack');
    } finally {
      await store.close();
      rmSync(journalDir, { recursive: true, force: true });
    }
  });
});
