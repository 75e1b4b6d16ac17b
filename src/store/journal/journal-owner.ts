// Marks which instance owns journal files, so a live worker's journal is never claimed by another.
import { mkdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ownerFileName } from './journal-names.js';

/** When this process started (ms since epoch): tells a live sibling in this process from a dead one with our pid. */
const PROCESS_STARTED_AT = Math.round(Date.now() - process.uptime() * 1000);

interface OwnerRecord {
  readonly pid: number;
  readonly host: string;
  readonly processStartedAt: number;
}

export interface JournalOwnershipOptions {
  readonly dir: string;
  readonly instanceId: string;
  /** Clock (ms since epoch). @default Date.now */
  readonly now?: () => number;
  /** An owner file not touched for this long is dead, whatever its pid says. @default 60000 */
  readonly staleAfterMs?: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The `<instanceId>.owner` file of this instance, and liveness checks of other owners. */
export class JournalOwnership {
  private readonly path: string;
  private readonly now: () => number;
  private readonly staleAfterMs: number;

  constructor(private readonly options: JournalOwnershipOptions) {
    this.path = join(options.dir, ownerFileName(options.instanceId));
    this.now = options.now ?? Date.now;
    this.staleAfterMs = options.staleAfterMs ?? 60_000;
  }

  /** Writes (or rewrites) this instance's owner file. */
  acquire(): void {
    mkdirSync(this.options.dir, { recursive: true });
    const record: OwnerRecord = { pid: process.pid, host: hostname(), processStartedAt: PROCESS_STARTED_AT };
    writeFileSync(this.path, JSON.stringify(record));
  }

  /** Shows this instance is alive; recreates the file if it went missing. */
  heartbeat(): void {
    const t = new Date(this.now());
    try {
      utimesSync(this.path, t, t);
    } catch {
      this.acquire();
    }
  }

  /** Removes the owner file: the instance's remaining journal files become claimable. */
  release(): void {
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  /** True when `owner`'s journal files may be claimed: it closed, went stale, or its process is gone. */
  isOrphan(owner: string): boolean {
    if (owner === this.options.instanceId) return false;
    const path = join(this.options.dir, ownerFileName(owner));
    let record: OwnerRecord;
    let touchedAt: number;
    try {
      touchedAt = statSync(path).mtimeMs;
      record = JSON.parse(readFileSync(path, 'utf8')) as OwnerRecord;
    } catch {
      return true;
    }
    if (this.now() - touchedAt > this.staleAfterMs) return true;
    if (record.host !== hostname()) return false;
    if (record.pid === process.pid) return record.processStartedAt !== PROCESS_STARTED_AT;
    return !pidAlive(record.pid);
  }

  /** Deletes a dead owner's file once its journal was claimed. */
  forget(owner: string): void {
    try {
      unlinkSync(join(this.options.dir, ownerFileName(owner)));
    } catch {
      // already gone
    }
  }
}
