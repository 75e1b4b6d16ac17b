// The ordered memory+journal queue: arrival order across spills, persist at close, claim by the next instance.
import { execFile } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBacklog, type JournalCodec } from '../../src/store/journal/event-backlog.js';
import { journalFileName } from '../../src/store/journal/journal-names.js';

const codec: JournalCodec<number> = {
  encode: (n) => JSON.stringify({ n }),
  decode: (line) => {
    const v = (JSON.parse(line) as { n?: unknown }).n;
    if (typeof v !== 'number') throw new Error('not a number line');
    return v;
  },
};

const dirs: string[] = [];
const backlogs: EventBacklog<number>[] = [];
afterEach(() => {
  for (const b of backlogs.splice(0)) b.persist();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'abgate-backlog-'));
  dirs.push(d);
  return d;
}

function open(dir: string, instanceId: string, memoryLimit = 5): EventBacklog<number> {
  const errors: Error[] = [];
  const b = new EventBacklog<number>({ dir, instanceId, memoryLimit, codec, onError: (e) => errors.push(e) });
  backlogs.push(b);
  return b;
}

/** Reads and acknowledges everything, `batch` at a time, interleaving new pushes. */
function drain(b: EventBacklog<number>, batch: number, during?: (round: number) => void): number[] {
  const out: number[] = [];
  for (let round = 0; round < 10_000; round++) {
    during?.(round);
    const items = b.peek(batch);
    if (items.length === 0) break;
    out.push(...items.map((i) => i.event));
    b.ack(items.length);
  }
  return out;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const jsonl = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.jsonl'));

describe('EventBacklog', () => {
  it('keeps arrival order when events spill to the journal and keep coming while it drains', () => {
    const dir = tempDir();
    const b = open(dir, 'one', 5);
    let next = 0;
    for (; next < 40; next++) b.push(next);
    expect(b.memoryDepth).toBe(5);
    expect(b.journalBytes).toBeGreaterThan(0);
    const got = drain(b, 3, (round) => {
      if (round < 20) for (let k = 0; k < 2; k++) b.push(next++);
    });
    expect(got).toEqual(range(0, next));
    expect(b.isEmpty).toBe(true);
    expect(b.journalBytes).toBe(0);
    expect(jsonl(dir)).toEqual([]);
    expect(b.replayedEvents).toBe(next - 5);
    expect(b.ackedOwnCount).toBe(next);
  });

  it('deletes a journal file only after every event read from it is acknowledged', () => {
    const dir = tempDir();
    const b = open(dir, 'one', 1);
    for (let i = 0; i < 4; i++) b.push(i);
    const first = b.peek(10);
    expect(first.map((i) => i.event)).toEqual([0, 1, 2, 3]);
    b.ack(2);
    expect(jsonl(dir).length).toBe(1);
    b.ack(2);
    expect(jsonl(dir)).toEqual([]);
  });

  it('persists memory and journal at close; the next instance claims and replays them in order', () => {
    const dir = tempDir();
    const a = open(dir, 'gw-a', 3);
    for (let i = 0; i < 10; i++) a.push(i);
    expect(a.peek(2).map((i) => i.event)).toEqual([0, 1]); // in flight, not acknowledged
    expect(a.persist()).toBe(0);
    expect(readdirSync(dir).some((f) => f.endsWith('.owner'))).toBe(false);

    const b = open(dir, 'gw-b', 3);
    expect(jsonl(dir).every((f) => f.includes('~gw-b.'))).toBe(true);
    for (let i = 10; i < 15; i++) b.push(i); // new events wait behind the claimed journal
    expect(b.hasClaimedJournal).toBe(true);
    expect(drain(b, 4)).toEqual(range(0, 15));
    expect(b.hasClaimedJournal).toBe(false);
    expect(jsonl(dir)).toEqual([]);
  });

  it('does not claim the journal of a live instance', () => {
    const dir = tempDir();
    const a = open(dir, 'live-a', 1);
    for (let i = 0; i < 5; i++) a.push(i);
    a.peek(1); // seals and writes the segment
    const b = open(dir, 'live-b', 1);
    expect(b.isEmpty).toBe(true);
    expect(jsonl(dir).every((f) => f.includes('~live-a.'))).toBe(true);
    expect(drain(a, 2)).toEqual(range(0, 5));
  });

  it('claims files of an instance that left no owner file (a crash), oldest first', () => {
    const dir = tempDir();
    const line = (n: number) => `${JSON.stringify({ n })}\n`;
    writeFileSync(
      join(dir, journalFileName({ orderKey: '000000000000002-000000000', sub: '1', owner: 'dead' })),
      line(3),
    );
    writeFileSync(
      join(dir, journalFileName({ orderKey: '000000000000001-000000001', sub: '1', owner: 'dead' })),
      line(1) + line(2),
    );
    writeFileSync(
      join(dir, journalFileName({ orderKey: '000000000000001-000000001', sub: '0', owner: 'dead' })),
      line(0),
    );
    const b = open(dir, 'heir');
    expect(drain(b, 10)).toEqual([0, 1, 2, 3]);
    expect(b.replayedEvents).toBe(4);
  });

  it('skips corrupt and torn lines, counting them', () => {
    const dir = tempDir();
    const file = join(
      dir,
      journalFileName({ orderKey: '000000000000001-000000000', sub: '1', owner: 'crashed' }),
    );
    writeFileSync(file, `${JSON.stringify({ n: 1 })}\nnot json\n${JSON.stringify({ n: 2 })}\n`);
    appendFileSync(file, '{"n": 3'); // torn write at a crash
    const b = open(dir, 'reader');
    expect(drain(b, 10)).toEqual([1, 2]);
    expect(b.corruptLines).toBe(2);
    expect(jsonl(dir)).toEqual([]);
  });

  it('rewrites a partly acknowledged file at close: the next instance replays only what was not acknowledged', () => {
    const dir = tempDir();
    const a = open(dir, 'part-a', 1);
    for (let i = 0; i < 10; i++) a.push(i); // 0 in memory, 1..9 in a journal file
    expect(a.peek(6).map((i) => i.event)).toEqual([0, 1, 2, 3, 4, 5]);
    a.ack(4); // 0..3 written; 4 and 5 in flight
    expect(a.persist()).toBe(0);
    const b = open(dir, 'part-b', 1);
    expect(drain(b, 3)).toEqual(range(4, 10));
    expect(readdirSync(dir).filter((f) => !f.endsWith('.owner'))).toEqual([]);
  });

  it('respects the claim lock of another instance, and breaks one left stale by a dead claimer', () => {
    const dir = tempDir();
    const line = (n: number) => `${JSON.stringify({ n })}\n`;
    for (let f = 0; f < 3; f++) {
      const orderKey = `00000000000000${f}-000000000`;
      writeFileSync(
        join(dir, journalFileName({ orderKey, sub: '1', owner: 'gone' })),
        line(2 * f) + line(2 * f + 1),
      );
    }
    writeFileSync(join(dir, 'gone.claim'), 'someone-claiming');
    const b = open(dir, 'waiter');
    expect(b.isEmpty).toBe(true); // being claimed by someone else: not touched
    expect(jsonl(dir).every((f) => f.includes('~gone.'))).toBe(true);
    const old = new Date(Date.now() - 120_000);
    utimesSync(join(dir, 'gone.claim'), old, old); // its claimer died mid-claim
    expect(b.claimOrphans()).toBe(3);
    expect(drain(b, 4)).toEqual(range(0, 6));
    expect(readdirSync(dir).filter((f) => !f.endsWith('.owner'))).toEqual([]);
  });

  it('gives all files of a dead owner to one of two instances starting at the same moment', async () => {
    const dir = tempDir();
    const files = 1500;
    for (let f = 0; f < files; f++) {
      const orderKey = `${String(f).padStart(15, '0')}-000000000`;
      writeFileSync(
        join(dir, journalFileName({ orderKey, sub: '1', owner: 'crashed' })),
        `${JSON.stringify({ n: 2 * f })}\n${JSON.stringify({ n: 2 * f + 1 })}\n`,
      );
    }
    const worker = join(dirname(fileURLToPath(import.meta.url)), 'claim-worker.ts');
    const startAt = String(Date.now() + 2500); // after both processes have loaded
    const run = (id: string) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', worker, dir, id, startAt], {
        maxBuffer: 1 << 24,
      }).then(({ stdout }) => JSON.parse(stdout) as number[]);
    const got = await Promise.all([run('claimer-1'), run('claimer-2')]);
    const [winner, loser] = got[0]!.length > 0 ? got : [got[1]!, got[0]!];
    expect(loser).toEqual([]);
    expect(winner).toEqual(range(0, 2 * files));
    expect(readdirSync(dir)).toEqual([]);
  }, 30_000);
});
