// One gateway per journal folder: a pid lock taken by the top process (the single gateway, or the
// primary of `--workers N`, whose workers each write their own slot folder under it).
import { hostname } from 'node:os';
import { join } from 'node:path';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { makeDirectory, nodeJournalFs } from './journal-fs.js';

interface LockRecord {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

export class JournalLockedError extends Error {
  override readonly name = 'JournalLockedError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The slot folder of worker `slot` (0 for a single gateway process). */
export function slotDir(journalDir: string, slot: number): string {
  return join(journalDir, `slot-${slot}`);
}

export class JournalDirLock {
  private constructor(
    private readonly path: string,
    private readonly record: string,
  ) {}

  /**
   * Takes `<dir>/gateway.lock`. Throws JournalLockedError naming the holder when a live process on this
   * host holds it, or a process on another host (which cannot be checked). A lock left by a process that
   * is gone is taken over.
   */
  static acquire(dir: string): JournalDirLock {
    try {
      makeDirectory(dir);
    } catch (err) {
      throw new JournalLockedError(
        `cannot create the journal folder ${dir} (${(err as NodeJS.ErrnoException).code ?? String(err)}); set ABGATE_JOURNAL_DIR to a writable folder`,
      );
    }
    const path = join(dir, 'gateway.lock');
    const mine: LockRecord = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    const text = JSON.stringify(mine);
    try {
      writeFileSync(path, text, { flag: 'wx' });
      return new JournalDirLock(path, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new JournalLockedError(
          `cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}); set ABGATE_JOURNAL_DIR to a writable folder`,
        );
      }
    }
    const held = parse(nodeJournalFs.readText(path));
    if (held && held.pid !== process.pid) {
      const advice = `two gateways must never share a journal folder: give each its own ABGATE_JOURNAL_DIR (or use --workers N in one gateway)`;
      if (held.host !== hostname()) {
        throw new JournalLockedError(
          `the journal folder ${dir} is locked by pid ${held.pid} on host ${held.host} since ${held.since}; ${advice}. If that gateway is gone for good, delete ${path}.`,
        );
      }
      if (alive(held.pid)) {
        throw new JournalLockedError(
          `the journal folder ${dir} is in use by another gateway (pid ${held.pid}, since ${held.since}); ${advice}`,
        );
      }
    }
    // Stale (its process is gone, or it is ours from an earlier incarnation with the same pid): take over.
    const tmp = `${path}.${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
    if (nodeJournalFs.readText(path) !== text) {
      throw new JournalLockedError(`another gateway took the journal folder ${dir} at the same moment`);
    }
    return new JournalDirLock(path, text);
  }

  release(): void {
    try {
      if (nodeJournalFs.readText(this.path) === this.record) unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

function parse(text: string | undefined): LockRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    if (typeof r.pid === 'number' && typeof r.host === 'string') {
      return { pid: r.pid, host: r.host, since: String(r.since ?? '?') };
    }
  } catch {
    // unreadable: treat as stale
  }
  return undefined;
}
