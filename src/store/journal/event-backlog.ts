// The ordered FIFO of unsent events: memory up to a limit, then journal files, replayed in arrival order.
//
// Order rule: while any journal segment exists, new events are appended to the journal (never to memory),
// so memory only ever holds events older than every segment, or events loaded from the oldest segment.
// A segment file is deleted only when every event read from it was acknowledged.
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { JournalOwnership } from './journal-owner.js';
import { journalFileName, makeOrderKey, parseJournalFileName, type JournalName } from './journal-names.js';
import { JournalSegment } from './journal-segment.js';
import { toError } from './to-error.js';

/** How events become journal lines and back. `decode` throws on a line it cannot read. */
export interface JournalCodec<T> {
  encode(event: T): string;
  decode(line: string): T;
}

export interface BacklogItem<T> {
  /** The event; the store may replace it with an updated copy (e.g. a first-send time), persisted at close. */
  event: T;
  /** The journal file the event was read from, if any. */
  readonly segment: JournalSegment | undefined;
  /** Failed write attempts so far (the store's bookkeeping). */
  attempts: number;
}

export interface EventBacklogOptions<T> {
  /** Folder of the journal files. */
  readonly dir: string;
  /** Names this instance's files; letters, digits, '_', '.', '-'. */
  readonly instanceId: string;
  /** Events held in memory before new ones spill to the journal. */
  readonly memoryLimit: number;
  readonly codec: JournalCodec<T>;
  /** Clock (ms since epoch). @default Date.now */
  readonly now?: () => number;
  /** Told about I/O errors and corrupt lines. @default ignore */
  readonly onError?: (error: Error) => void;
  /** How often the owner file is touched and orphaned journals are looked for. @default 10000 */
  readonly heartbeatMs?: number;
  /** An owner not seen for this long is dead and its journal may be claimed. @default 60000 */
  readonly staleAfterMs?: number;
}

const WRITE_RETRY_MS = 1000;

export class EventBacklog<T> {
  private items: BacklogItem<T>[] = [];
  private head = 0;
  private readonly segments: JournalSegment[] = [];
  /** Items in memory that are in no journal file. */
  private unbacked = 0;
  private seq = 0;
  private lastKeyMs = 0;
  private writeScheduled = false;
  private writeRetry: NodeJS.Timeout | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly ownership: JournalOwnership;
  private readonly now: () => number;
  private readonly onError: (error: Error) => void;
  private closed = false;
  private pushed = 0;
  private ackedOwn = 0;
  /** Events acknowledged after being read back from a journal file. */
  replayedEvents = 0;
  /** Journal lines that could not be decoded (skipped). */
  corruptLines = 0;

  constructor(private readonly options: EventBacklogOptions<T>) {
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? (() => {});
    mkdirSync(options.dir, { recursive: true });
    this.ownership = new JournalOwnership({
      dir: options.dir,
      instanceId: options.instanceId,
      now: this.now,
      staleAfterMs: options.staleAfterMs,
    });
    this.ownership.acquire();
    this.claimOrphans();
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
  }

  /** Events pushed by this instance since it started. */
  get pushedCount(): number {
    return this.pushed;
  }

  /** Of the events this instance pushed, those acknowledged (or skipped as corrupt), in push order. */
  get ackedOwnCount(): number {
    return this.ackedOwn;
  }

  /** Events in memory, including the batch being written. */
  get memoryDepth(): number {
    return this.items.length - this.head;
  }

  /** Bytes of journal not yet acknowledged (files plus lines waiting to be written). */
  get journalBytes(): number {
    let bytes = 0;
    for (const s of this.segments) bytes += s.bytes;
    return bytes;
  }

  /** True while a journal claimed from another instance is not fully replayed. */
  get hasClaimedJournal(): boolean {
    return this.segments.some((s) => s.claimed);
  }

  /** Journal files not fully acknowledged: while there is one, new events queue behind it. */
  get journalSegments(): number {
    return this.segments.length;
  }

  get isEmpty(): boolean {
    return this.memoryDepth === 0 && this.segments.length === 0;
  }

  /** Appends an event: to memory while there is room and no journal, else to the journal. Never blocks. */
  push(event: T): void {
    if (this.closed) throw new Error('the event backlog is closed');
    this.pushed += 1;
    if (this.segments.length === 0 && this.memoryDepth < this.options.memoryLimit) {
      this.items.push({ event, segment: undefined, attempts: 0 });
      this.unbacked += 1;
      return;
    }
    let segment = this.segments[this.segments.length - 1];
    if (!segment || !segment.writable) {
      segment = this.newSegment('1');
      this.segments.push(segment);
    }
    segment.append(this.options.codec.encode(event));
    this.scheduleWrite();
  }

  /** The oldest `max` events, reading journal files as needed. They stay queued until `ack`. */
  peek(max: number): readonly BacklogItem<T>[] {
    this.load(max);
    return this.items.slice(this.head, this.head + max);
  }

  /** Removes the oldest `count` events (written, or given up on); deletes journal files fully acknowledged. */
  ack(count: number): void {
    const end = Math.min(this.head + count, this.items.length);
    for (let i = this.head; i < end; i++) {
      const segment = this.items[i]!.segment;
      if (segment) {
        segment.acked += 1;
        this.replayedEvents += 1;
        if (!segment.claimed) this.ackedOwn += 1;
      } else {
        this.unbacked -= 1;
        this.ackedOwn += 1;
      }
    }
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.dropFinishedSegments();
  }

  /**
   * Claims journal files of instances that are gone (closed, crashed, stale) by renaming them to this
   * instance; they replay after whatever is queued now, oldest first. Returns how many were claimed.
   *
   * One claimer per dead owner: the files of an owner are claimed under an exclusive lock file
   * `<owner>.claim` (created with O_EXCL), all of them at once, so two instances starting together can
   * never split one journal between them (each would replay its part in its own order). An instance
   * that finds the lock taken skips that owner. The lock is held for the few renames only; a lock older
   * than staleAfterMs belongs to a claimer that died meanwhile and is broken (see takeClaimLock).
   */
  claimOrphans(): number {
    let files: string[];
    try {
      files = readdirSync(this.options.dir).sort();
    } catch (err) {
      this.onError(toError(err));
      return 0;
    }
    const owners = new Set<string>();
    for (const file of files) {
      const parsed = parseJournalFileName(file);
      if (parsed && parsed.owner !== this.options.instanceId) owners.add(parsed.owner);
    }
    const claimed: JournalSegment[] = [];
    for (const owner of owners) {
      if (!this.ownership.isOrphan(owner)) continue;
      const lock = this.takeClaimLock(owner);
      if (lock === undefined) continue; // another instance is claiming this owner's files
      try {
        claimed.push(...this.claimFilesOf(owner));
        this.ownership.forget(owner);
      } finally {
        try {
          unlinkSync(lock);
        } catch (err) {
          this.onError(toError(err));
        }
      }
    }
    // Dead owners that left no journal: only their owner file to remove.
    for (const file of files) {
      if (!file.endsWith('.owner')) continue;
      const owner = file.slice(0, -'.owner'.length);
      if (!owners.has(owner) && this.ownership.isOrphan(owner)) this.ownership.forget(owner);
    }
    const orderOf = (s: JournalSegment) => `${s.name.orderKey}-${s.name.sub}`;
    claimed.sort((a, b) => (orderOf(a) < orderOf(b) ? -1 : orderOf(a) > orderOf(b) ? 1 : 0));
    this.segments.push(...claimed);
    return claimed.length;
  }

  /** Renames every journal file of `owner` (listed afresh, under its claim lock) to this instance. */
  private claimFilesOf(owner: string): JournalSegment[] {
    const segments: JournalSegment[] = [];
    for (const file of readdirSync(this.options.dir).sort()) {
      const parsed = parseJournalFileName(file);
      if (!parsed || parsed.owner !== owner) continue;
      const name: JournalName = { ...parsed, owner: this.options.instanceId };
      const path = join(this.options.dir, journalFileName(name));
      if (existsSync(path)) {
        this.onError(new Error(`cannot claim journal ${file}: ${path} exists`));
        continue;
      }
      try {
        renameSync(join(this.options.dir, file), path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(toError(err));
        continue;
      }
      const segment = new JournalSegment(path, name, true, statSync(path).size);
      if (segment.bytes === 0) {
        segment.delete();
        continue;
      }
      segments.push(segment);
    }
    return segments;
  }

  /**
   * Creates `<owner>.claim` exclusively; returns its path, or undefined when another instance holds it.
   * A lock older than staleAfterMs (a claim takes milliseconds) is left by a claimer that died: it is
   * moved aside and taken. Two instances breaking the same stale lock are told apart by the inode of what
   * each moved; one that moved a fresh lock instead puts it back. (A residual race needs a dead claimer
   * and three instances claiming the same owner within microseconds.)
   */
  private takeClaimLock(owner: string, breakStale = true): string | undefined {
    const path = join(this.options.dir, `${owner}.claim`);
    try {
      writeFileSync(path, this.options.instanceId, { flag: 'wx' });
      return path;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        this.onError(toError(err));
        return undefined;
      }
    }
    if (!breakStale) return undefined;
    let held;
    try {
      held = statSync(path);
    } catch {
      return undefined; // released meanwhile: the files are gone or claimable at the next heartbeat
    }
    if (this.now() - held.mtimeMs <= (this.options.staleAfterMs ?? 60_000)) return undefined;
    const aside = `${path}.${this.options.instanceId}.stale`;
    try {
      renameSync(path, aside);
      if (statSync(aside).ino !== held.ino) {
        try {
          linkSync(aside, path); // not the stale lock: give it back
        } catch {
          // its holder finishes its claim anyway; nothing better to do
        }
        unlinkSync(aside);
        return undefined;
      }
      unlinkSync(aside);
    } catch {
      return undefined;
    }
    this.onError(new Error(`broke the stale journal claim lock of ${owner}`));
    return this.takeClaimLock(owner, false);
  }

  /**
   * At close: writes the events that are only in memory to a journal file that sorts before every
   * other file of this instance, rewrites every file partly read so it holds only what was not
   * acknowledged (an acknowledged line kept would be replayed by the next claimer, possibly after its
   * markers expired), flushes all files to disk and releases ownership so another instance may claim
   * them. Returns the number of events that could not be saved.
   */
  persist(): number {
    if (this.closed) return 0;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.writeRetry);
    let lost = 0;
    const waiting = this.items.slice(this.head);
    const memoryOnly = waiting.filter((i) => i.segment === undefined);
    if (memoryOnly.length > 0) {
      // Memory-only events are older than every segment (see the order rule): name the dump to sort first.
      const first = this.segments[0];
      const orderKey =
        first && !first.claimed && first.name.sub === '1' ? first.name.orderKey : this.nextOrderKey();
      const path = join(
        this.options.dir,
        journalFileName({ orderKey, sub: '0', owner: this.options.instanceId }),
      );
      try {
        writeFileSync(path, memoryOnly.map((i) => `${this.options.codec.encode(i.event)}\n`).join(''), {
          flag: 'wx',
        });
        syncPath(path);
      } catch (err) {
        this.onError(toError(err));
        lost += memoryOnly.length;
      }
    }
    for (const segment of this.segments) {
      try {
        if (segment.loaded > 0) {
          // Read from: keep the loaded, unacknowledged events (as updated in memory), then the unread rest.
          const unacked = waiting.filter((i) => i.segment === segment);
          segment.rewriteRest(unacked.map((i) => this.options.codec.encode(i.event)));
        } else {
          segment.writePending();
          segment.sync();
        }
      } catch (err) {
        this.onError(toError(err));
        lost += segment.pendingLines;
      } finally {
        segment.close();
      }
    }
    try {
      syncPath(this.options.dir);
    } catch {
      // not every file system lets a directory be fsynced
    }
    this.ownership.release();
    return lost;
  }

  private load(max: number): void {
    while (this.memoryDepth < max) {
      const segment = this.segments.find((s) => !s.readDone);
      if (!segment) break;
      try {
        segment.seal(); // new events now go to a newer segment
      } catch (err) {
        this.onError(toError(err)); // unwritten lines stay in memory and are read from there
      }
      let lines: string[];
      try {
        lines = segment.readLines(max - this.memoryDepth);
      } catch (err) {
        this.onError(toError(err));
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') segment.readDone = true;
        break;
      }
      for (const line of lines) {
        try {
          this.items.push({ event: this.options.codec.decode(line), segment, attempts: 0 });
          segment.loaded += 1;
        } catch (err) {
          this.corruptLines += 1;
          if (!segment.claimed) this.ackedOwn += 1;
          this.onError(new Error(`skipped a corrupt line of ${segment.path}: ${toError(err).message}`));
        }
      }
    }
    this.dropFinishedSegments();
  }

  private dropFinishedSegments(): void {
    for (let s = this.segments[0]; s && s.readDone && s.acked === s.loaded; s = this.segments[0]) {
      try {
        s.delete();
      } catch (err) {
        this.onError(toError(err));
      }
      this.segments.shift();
    }
  }

  private newSegment(sub: '0' | '1'): JournalSegment {
    for (;;) {
      const name: JournalName = { orderKey: this.nextOrderKey(), sub, owner: this.options.instanceId };
      const path = join(this.options.dir, journalFileName(name));
      if (!existsSync(path)) return new JournalSegment(path, name, false);
    }
  }

  private nextOrderKey(): string {
    this.lastKeyMs = Math.max(this.lastKeyMs, this.now());
    return makeOrderKey(this.lastKeyMs, this.seq++);
  }

  private scheduleWrite(): void {
    if (this.writeScheduled) return;
    this.writeScheduled = true;
    setImmediate(() => this.writeAll());
  }

  private writeAll(): void {
    this.writeScheduled = false;
    if (this.closed) return;
    for (const segment of this.segments) {
      if (!segment.writable || !segment.hasPendingWrites) continue;
      try {
        segment.writePending();
      } catch (err) {
        this.onError(toError(err));
        if (!this.writeRetry) {
          this.writeRetry = setTimeout(() => {
            this.writeRetry = undefined;
            this.scheduleWrite();
          }, WRITE_RETRY_MS);
          this.writeRetry.unref();
        }
      }
    }
  }

  private beat(): void {
    try {
      this.ownership.heartbeat();
    } catch (err) {
      this.onError(toError(err));
    }
    // Claimed files replay after what is queued; memory-only events must stay older than every file.
    if (this.unbacked === 0) this.claimOrphans();
  }
}

function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
