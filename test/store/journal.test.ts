// The write-ahead journal on a real folder: order, overflow to disk, replay after a crash, short writes,
// a full disk, group-committed durability. Faults come from a file-system seam around the real one.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, segmentName, type JournalCodec } from '../../src/store/journal/journal.js';
import { nodeJournalFs, type JournalFs } from '../../src/store/journal/journal-fs.js';

const codec: JournalCodec<number> = {
  encode: (n) => JSON.stringify({ n }),
  decode: (line) => {
    const v = (JSON.parse(line) as { n: unknown }).n;
    if (typeof v !== 'number') throw new Error('not an event');
    return v;
  },
};

const dirs: string[] = [];
const journals: Journal<number>[] = [];
afterEach(async () => {
  for (const j of journals.splice(0)) await j.close(1000);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'abgate-wal-'));
  dirs.push(d);
  return d;
}

function open(dir: string, options: Partial<ConstructorParameters<typeof Journal<number>>[0]> = {}) {
  const j = new Journal<number>({ dir, codec, fsyncIntervalMs: 5, retryMs: 10, ...options });
  journals.push(j);
  return j;
}

/** Drains everything in order, acknowledging as it goes. */
async function drain(j: Journal<number>): Promise<number[]> {
  const out: number[] = [];
  for (let spins = 0; spins < 1000; spins++) {
    const items = j.peek(7);
    if (items.length === 0) {
      if (j.isEmpty) return out;
      await new Promise((r) => setTimeout(r, 2));
      continue;
    }
    out.push(...items.map((i) => i.event));
    j.ack(items.length);
  }
  throw new Error(`did not drain: ${out.length} events`);
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** A file system whose writes can be cut short or fail with ENOSPC on demand. */
function faultyFs(): JournalFs & { shortWrites: boolean; full: boolean; writes: number } {
  const fs = {
    ...nodeJournalFs,
    shortWrites: false,
    full: false,
    writes: 0,
    write(fd: number, buffer: Buffer, offset: number, length: number) {
      fs.writes += 1;
      if (fs.full) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      // A short write of a few bytes, often mid-line: the journal must continue at that exact byte.
      const n = fs.shortWrites ? Math.min(length, 1 + (fs.writes % 5)) : length;
      return nodeJournalFs.write(fd, buffer, offset, n);
    },
  };
  return fs;
}

describe('Journal', () => {
  it('hands events out in order, from memory and, past the memory limit, from disk', async () => {
    const j = open(tempDir(), { memoryLimit: 5 });
    for (let i = 0; i < 40; i++) j.append(i);
    expect(j.memoryDepth).toBe(5);
    expect(j.behind).toBe(true);
    const out = await drain(j);
    expect(out).toEqual([...Array(40).keys()]);
    // Caught up: new events are kept in memory again.
    j.append(40);
    expect(j.behind).toBe(false);
    expect(j.memoryDepth).toBe(1);
  });

  it('keeps unacknowledged events across a crash and replays them first, then deletes finished files', async () => {
    const dir = tempDir();
    const a = open(dir, { segmentBytes: 64 });
    for (let i = 0; i < 30; i++) a.append(i);
    const first = a.peek(10);
    a.ack(10);
    expect(first.map((i) => i.event)).toEqual([...Array(10).keys()]);
    await until(() => a.unwrittenLines === 0);
    // A crash: the process is gone without close(). The next run replays what was not acknowledged.
    const b = open(dir, { segmentBytes: 64 });
    expect(b.identity.generation).toBe(a.identity.generation + 1);
    expect(b.identity.writer).toBe(a.identity.writer);
    b.append(1000);
    const out = await drain(b);
    // Acknowledged events may come again (a crash between apply and delete); what matters: nothing lost,
    // order kept, and the store's high-water marks skip what was applied.
    expect(out.slice(-21)).toEqual([...Array(20).keys()].map((i) => i + 10).concat([1000]));
    expect(out.filter((n) => n >= 10)).toEqual([...Array(20).keys()].map((i) => i + 10).concat([1000]));
    await b.close(1000);
    expect(readdirSync(dir).filter((f) => f.endsWith('.log'))).toEqual([]);
  });

  it('numbers events (generation, sequence) so a replay can be recognised', async () => {
    const dir = tempDir();
    const a = open(dir);
    expect([a.append(7), a.append(8)]).toEqual([0, 1]);
    await until(() => a.unwrittenLines === 0);
    const b = open(dir);
    const items = b.peek(10);
    expect(items.map((i) => [i.generation, i.seq, i.event])).toEqual([
      [a.identity.generation, 0, 7],
      [a.identity.generation, 1, 8],
    ]);
  });

  it('continues a short write at the exact byte: every line once, none torn', async () => {
    const dir = tempDir();
    const fs = faultyFs();
    fs.shortWrites = true;
    const j = open(dir, { fs, memoryLimit: 3 });
    for (let i = 0; i < 200; i++) j.append(i);
    await until(() => j.unwrittenLines === 0);
    expect(await drain(j)).toEqual([...Array(200).keys()]);
    const file = readdirSync(dir).find((f) => f.endsWith('.log'));
    if (file) {
      const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);
      expect(lines.map((l) => codec.decode(l))).toEqual([...Array(200).keys()]);
    }
  });

  it('survives a full disk: nothing is durable while it lasts, everything is written once space returns', async () => {
    const dir = tempDir();
    const fs = faultyFs();
    const j = open(dir, { fs, memoryLimit: 10 });
    for (let i = 0; i < 5; i++) j.append(i);
    await until(() => j.unwrittenLines === 0);
    fs.full = true;
    fs.shortWrites = true;
    const seqs = [];
    for (let i = 5; i < 150; i++) seqs.push(j.append(i));
    await until(() => j.failing);
    expect(await j.whenDurable(seqs.at(-1)!, 50)).toBe(false);
    fs.full = false;
    expect(await j.whenDurable(seqs.at(-1)!, 5000)).toBe(true);
    expect(j.failing).toBe(false);
    // Nothing acknowledged yet: a crash now must replay all 150, each exactly once, no corrupt line.
    const replay = open(dir);
    expect(await drain(replay)).toEqual([...Array(150).keys()]);
    expect(replay.corrupt).toBe(0);
  });

  it('reports lines it could not write at close (a disk that stays full)', async () => {
    const dir = tempDir();
    const fs = faultyFs();
    const j = open(dir, { fs });
    fs.full = true;
    for (let i = 0; i < 33; i++) j.append(i);
    expect(await j.close(50)).toEqual({ unwritten: 33 });
  });

  it('resolves whenDurable only after an fsync covering the line (group commit)', async () => {
    const dir = tempDir();
    let fsyncs = 0;
    const fs: JournalFs = {
      ...nodeJournalFs,
      fsync: async (fd) => {
        fsyncs += 1;
        await nodeJournalFs.fsync(fd);
      },
    };
    const j = open(dir, { fs, fsyncIntervalMs: 10_000 });
    const seqs = Array.from({ length: 50 }, (_, i) => j.append(i));
    const results = await Promise.all(seqs.map((s) => j.whenDurable(s, 5000)));
    expect(results.every(Boolean)).toBe(true);
    expect(fsyncs).toBeGreaterThan(0);
    expect(fsyncs).toBeLessThan(10);
  });

  it('has a line in the file before the next task runs, even while an fsync hangs', async () => {
    const dir = tempDir();
    let release: () => void = () => {};
    let hung = 0;
    let slow = true;
    const fs: JournalFs = {
      ...nodeJournalFs,
      // An fsync that takes as long as the test wants (a slow disk): writes must not queue behind it.
      fsync: async (fd) => {
        if (slow) {
          hung += 1;
          await new Promise<void>((r) => (release = r));
        }
        await nodeJournalFs.fsync(fd);
      },
    };
    const j = open(dir, { fs, fsyncIntervalMs: 1 });
    const fileText = () => readFileSync(join(dir, segmentName(j.identity.generation, 0)), 'utf8');
    j.append(1);
    const durable = j.whenDurable(0, 5000);
    await new Promise((r) => setImmediate(r));
    expect(fileText()).toBe('{"n":1}\n');
    await until(() => hung === 1);
    // The fsync is in progress; what is appended now reaches the file all the same, within the task.
    j.append(2);
    j.append(3);
    await Promise.resolve();
    await Promise.resolve();
    expect(fileText()).toBe('{"n":1}\n{"n":2}\n{"n":3}\n');
    release();
    expect(await durable).toBe(true);
    const later = j.whenDurable(2, 5000);
    await until(() => hung === 2);
    slow = false;
    release();
    expect(await later).toBe(true);
  });

  it('fsyncs for a waiter that comes while the previous fsync is finishing (one client, one at a time)', async () => {
    // No timed fsync to fall back on: every line is durable only because its waiter asked for an fsync.
    const j = open(tempDir(), { fsyncIntervalMs: 60_000, segmentBytes: 200 });
    for (let i = 0; i < 20; i++) {
      const seq = j.append(i);
      expect(await j.whenDurable(seq, 2000)).toBe(true);
    }
  });

  it('keeps fsyncing under a steady stream of appends (no waiter starves)', async () => {
    const j = open(tempDir(), { fsyncIntervalMs: 5 });
    let stop = false;
    let n = 0;
    const feed = (async () => {
      while (!stop) {
        j.append(n++);
        await new Promise((r) => setImmediate(r));
      }
    })();
    await until(() => n > 50);
    const seq = j.append(-1);
    const ok = await j.whenDurable(seq, 3000);
    stop = true;
    await feed;
    expect(ok).toBe(true);
  });

  it('skips a torn last line and corrupt lines of an earlier run, counting them', async () => {
    const dir = tempDir();
    const a = open(dir);
    a.append(1);
    a.append(2);
    await until(() => a.unwrittenLines === 0);
    const file = join(dir, segmentName(a.identity.generation, 0));
    appendFileSync(file, 'not json\n{"n":3}\n{"n":4');
    const b = open(dir);
    expect(await drain(b)).toEqual([1, 2, 3]);
    expect(b.corrupt).toBe(2);
  });

  it('ignores files that are not segments and removes empty ones', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'x');
    writeFileSync(join(dir, segmentName(1, 0)), '');
    const j = open(dir);
    expect(j.isEmpty).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['notes.txt', 'writer.json']);
  });

  it('fails with a clear message when the folder cannot be created', () => {
    expect(() => new Journal<number>({ dir: '/proc/abgate-no/such', codec })).toThrow(
      /cannot create the journal folder \/proc\/abgate-no\/such .*ABGATE_JOURNAL_DIR/,
    );
  });
});
