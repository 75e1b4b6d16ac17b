// The write-ahead journal of one writer slot: every event is appended here before it is sent anywhere,
// kept until the store acknowledges it, and replayed by the next run of the slot after a crash.
//
// - Order: events are numbered (generation, sequence) and handed out by `peek` strictly in that order,
//   old runs' segments first. Memory holds up to `memoryLimit` of the newest events; past that, and
//   while older segments are replayed, events are read back from the files.
// - Writes: synchronous (a page-cache write is ~1.5 µs; an asynchronous one ~30 µs of CPU). The lines
//   appended during one task are written together in a microtask right after it; a caller about to
//   answer within the same task (a prediction and its exposure) appends with `now`, so what was
//   answered is in the file and survives a SIGKILL. A short write continues at the exact byte it stopped at, and a
//   failed write (ENOSPC…) keeps the rest buffered and is retried, so a line is never written twice or half.
// - Durability: `whenDurable(seq)` resolves once the line is fsynced (group commit: one fsync covers
//   every line written before it); lines nobody waits for are fsynced every `fsyncIntervalMs`. fsyncs
//   run on the thread pool and never hold up writes.
// - Files: `<generation>-<first sequence>.log`, one JSON line per event; a segment is deleted once it is
//   sealed, fully written and every line in it acknowledged.
import { join } from 'node:path';
import { makeDirectory, nodeJournalFs, type JournalFs } from './journal-fs.js';
import { nextGeneration, type WriterIdentity } from './writer-identity.js';

export interface JournalCodec<T> {
  encode(event: T): string;
  /** Throws on a line it cannot read. */
  decode(line: string): T;
}

export interface JournalItem<T> {
  readonly generation: number;
  readonly seq: number;
  readonly event: T;
  /** Failed attempts to apply it (the store's bookkeeping). */
  attempts: number;
}

export interface JournalOptions<T> {
  /** The slot directory; this process must be its only writer (see dir-lock.ts). */
  readonly dir: string;
  readonly codec: JournalCodec<T>;
  /** Newest events kept in memory for sending; older unsent ones are read back from disk. @default 100000 */
  readonly memoryLimit?: number;
  /** A segment is sealed and a new one started past this size. @default 16 MiB */
  readonly segmentBytes?: number;
  /** Longest time a written line waits for an fsync when nobody awaits it. @default 20 */
  readonly fsyncIntervalMs?: number;
  /** Delay before retrying a failed write (doubled per failure, up to 5 s). @default 200 */
  readonly retryMs?: number;
  /** Most bytes buffered while writes fail; appends past it are refused. @default 64 MiB */
  readonly maxBufferedBytes?: number;
  readonly fs?: JournalFs;
  readonly onError?: (error: Error) => void;
  /** Told when lines become readable or a write failed or recovered. */
  readonly onProgress?: () => void;
}

const SEGMENT = /^(\d{10})-(\d{12})\.log$/;
const READ_CHUNK = 1 << 20;
const MAX_RETRY_MS = 5_000;

export function segmentName(generation: number, firstSeq: number): string {
  return `${String(generation).padStart(10, '0')}-${String(firstSeq).padStart(12, '0')}.log`;
}

class Segment {
  /** Lines in the segment: appended (this run), or counted while reading (earlier runs). */
  lines = 0;
  /** Logical size: bytes appended (this run) or the file size (earlier runs). */
  bytes = 0;
  /** Bytes on disk. */
  written = 0;
  acked = 0;
  /** Bytes of the acknowledged lines (and of skipped corrupt ones). */
  ackedBytes = 0;
  /** No more appends. */
  sealed: boolean;
  /** Every line is counted (this run: always; earlier runs: once read to the end). */
  linesKnown: boolean;
  fd: number | undefined;
  readFd: number | undefined;

  constructor(
    readonly path: string,
    readonly generation: number,
    readonly firstSeq: number,
    readonly old: boolean,
  ) {
    this.sealed = old;
    this.linesKnown = !old;
  }

  /** Nothing more to write, read or acknowledge, and the writer has closed it: the file may go. */
  get finished(): boolean {
    return (
      this.sealed &&
      this.fd === undefined &&
      this.linesKnown &&
      this.written === this.bytes &&
      this.acked === this.lines
    );
  }
}

interface Entry<T> extends JournalItem<T> {
  readonly segment: Segment;
  /** Bytes of its line, newline included. */
  readonly size: number;
  /** Read back from disk (an earlier run, or past the memory limit) rather than kept in memory. */
  readonly fromDisk: boolean;
}

interface PendingLine {
  readonly segment: Segment;
  readonly seq: number;
  buf: Buffer;
}

interface Cursor {
  segment: Segment;
  offset: number;
  seq: number;
}

export class JournalAppendError extends Error {
  override readonly name = 'JournalAppendError';
}

export class Journal<T> {
  readonly identity: WriterIdentity;
  private readonly fs: JournalFs;
  private readonly memoryLimit: number;
  private readonly segmentBytes: number;
  private readonly fsyncIntervalMs: number;
  private readonly retryMs: number;
  private readonly maxBufferedBytes: number;
  private readonly onError: (error: Error) => void;
  private readonly onProgress: () => void;

  private readonly segments: Segment[] = [];
  private active: Segment | undefined;
  private nextSeq = 0;
  private queue: Entry<T>[] = [];
  private head = 0;
  /** Set while unsent events exist only on disk: where reading resumes. */
  private cursor: Cursor | undefined;

  private pending: PendingLine[] = [];
  private pendingBytes = 0;
  private writeScheduled = false;
  /** The fsync in progress, if any; `syncAgain` asks it to run once more when it ends. */
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private fsyncTimer: NodeJS.Timeout | undefined;
  /** Highest sequence of this run fully written / fsynced (−1: none). */
  private writtenSeq = -1;
  private durableSeq = -1;
  private readonly durableWaiters: { seq: number; resolve: (ok: boolean) => void }[] = [];
  private closed = false;
  private writeError: Error | undefined;

  /** Events acknowledged after being read back from disk (an earlier run, or past the memory limit). */
  replayed = 0;
  /** Lines of earlier runs that could not be decoded (skipped). */
  corrupt = 0;

  constructor(private readonly options: JournalOptions<T>) {
    this.fs = options.fs ?? nodeJournalFs;
    this.memoryLimit = options.memoryLimit ?? 100_000;
    this.segmentBytes = options.segmentBytes ?? 16 * 1024 * 1024;
    this.fsyncIntervalMs = options.fsyncIntervalMs ?? 20;
    this.retryMs = options.retryMs ?? 200;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.onError = options.onError ?? (() => {});
    this.onProgress = options.onProgress ?? (() => {});
    try {
      makeDirectory(options.dir);
    } catch (err) {
      throw new Error(
        `cannot create the journal folder ${options.dir} (${(err as NodeJS.ErrnoException).code ?? String(err)}); set ABGATE_JOURNAL_DIR to a writable folder`,
        { cause: err },
      );
    }
    this.identity = nextGeneration(options.dir, this.fs);
    for (const file of this.fs.list(options.dir).sort()) {
      const m = SEGMENT.exec(file);
      if (!m) continue;
      const path = join(options.dir, file);
      const segment = new Segment(path, Number(m[1]), Number(m[2]), true);
      segment.bytes = segment.written = this.fs.size(path);
      if (segment.bytes === 0) {
        this.fs.unlink(path);
        continue;
      }
      this.segments.push(segment);
    }
    const first = this.segments[0];
    if (first) this.cursor = { segment: first, offset: 0, seq: first.firstSeq };
  }

  /** Events not yet acknowledged (memory and disk); lines of earlier runs not read yet are estimated from their size. */
  get depth(): number {
    let n = this.memoryDepth;
    const c = this.cursor;
    if (!c) return n;
    for (let i = this.segments.indexOf(c.segment); i >= 0 && i < this.segments.length; i++) {
      const s = this.segments[i]!;
      const here = s === c.segment;
      if (s.linesKnown) n += s.firstSeq + s.lines - (here ? c.seq : s.firstSeq);
      else n += Math.ceil((s.bytes - (here ? c.offset : 0)) / 160);
    }
    return n;
  }

  /** Events held in memory, ready to send. */
  get memoryDepth(): number {
    return this.queue.length - this.head;
  }

  /** True while events wait on disk behind the memory queue (a replay or an overflow). */
  get behind(): boolean {
    return this.cursor !== undefined;
  }

  /** Bytes of events not yet acknowledged (on disk or waiting to be written). */
  get bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.bytes - s.ackedBytes;
    return n;
  }

  /** The last write failed and has not succeeded since (full disk, I/O error). */
  get failing(): boolean {
    return this.writeError !== undefined;
  }

  /** Lines appended but not yet written to disk. */
  get unwrittenLines(): number {
    return this.pending.length;
  }

  get isEmpty(): boolean {
    return this.memoryDepth === 0 && this.cursor === undefined;
  }

  /**
   * Appends an event; returns its sequence number. Never waits. The line is written right after this
   * task, or before returning with `now` (a caller that answers someone within this task). Throws
   * JournalAppendError when closed or when writes have been failing so long that the buffer is full.
   */
  append(event: T, now = false): number {
    if (this.closed) throw new JournalAppendError('the journal is closed');
    const buf = Buffer.from(`${this.options.codec.encode(event)}\n`);
    if (this.writeError && this.pendingBytes + buf.length > this.maxBufferedBytes) {
      throw new JournalAppendError(`the journal cannot be written: ${this.writeError.message}`);
    }
    let segment = this.active;
    if (!segment || segment.bytes >= this.segmentBytes) {
      if (segment) segment.sealed = true;
      segment = new Segment(
        join(this.options.dir, segmentName(this.identity.generation, this.nextSeq)),
        this.identity.generation,
        this.nextSeq,
        false,
      );
      this.segments.push(segment);
      this.active = segment;
    }
    const seq = this.nextSeq++;
    const offset = segment.bytes;
    segment.lines += 1;
    segment.bytes += buf.length;
    this.pending.push({ segment, seq, buf });
    this.pendingBytes += buf.length;
    if (this.cursor === undefined && this.memoryDepth < this.memoryLimit) {
      this.queue.push({
        generation: this.identity.generation,
        seq,
        event,
        attempts: 0,
        segment,
        size: buf.length,
        fromDisk: false,
      });
    } else if (this.cursor === undefined) {
      this.cursor = { segment, offset, seq };
    }
    if (!now) this.scheduleWrite();
    else if (!this.retryTimer) this.writePending(); // failing writes: it stays buffered for the retry
    return seq;
  }

  /** The oldest `max` unacknowledged events, in order, reading from disk as needed. */
  peek(max: number): readonly JournalItem<T>[] {
    while (this.memoryDepth < max && this.cursor && this.loadFromDisk(max - this.memoryDepth)) {
      // loaded some; go on until enough or nothing more is readable now
    }
    return this.queue.slice(this.head, this.head + max);
  }

  /** Acknowledges the oldest `count` events (applied, or given up); deletes finished segments. */
  ack(count: number): void {
    const end = Math.min(this.head + count, this.queue.length);
    for (let i = this.head; i < end; i++) {
      const e = this.queue[i]!;
      e.segment.acked += 1;
      e.segment.ackedBytes += e.size;
      if (e.fromDisk) this.replayed += 1;
    }
    this.head = end;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    void this.deleteFinished();
  }

  /**
   * Resolves true once the event `seq` of this run is fsynced, false if that did not happen within
   * `timeoutMs` (writes failing). Never rejects.
   */
  whenDurable(seq: number, timeoutMs: number): Promise<boolean> {
    if (seq <= this.durableSeq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        seq,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        const i = this.durableWaiters.indexOf(waiter);
        if (i >= 0) this.durableWaiters.splice(i, 1);
        resolve(false);
      }, timeoutMs);
      this.durableWaiters.push(waiter);
      if (seq <= this.writtenSeq) this.requestSync();
    });
  }

  /**
   * Stops appends, writes and fsyncs what is buffered (retrying failed writes until `timeoutMs`), deletes
   * finished segments and closes files. Returns how many appended lines could not be written.
   */
  async close(timeoutMs: number): Promise<{ unwritten: number }> {
    if (this.closed) return { unwritten: this.pending.length };
    this.closed = true;
    const deadline = Date.now() + timeoutMs;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    while (!this.writePending() && Date.now() < deadline) {
      await sleep(Math.min(this.retryMs, Math.max(0, deadline - Date.now())));
    }
    clearTimeout(this.fsyncTimer);
    if (this.active) this.active.sealed = true;
    await this.syncing;
    try {
      await this.syncOnce();
    } catch (err) {
      this.onError(toError(err));
    }
    await this.deleteFinished();
    for (const s of this.segments) await this.closeFiles(s);
    this.fs.syncDir(this.options.dir);
    for (const w of this.durableWaiters.splice(0)) w.resolve(w.seq <= this.durableSeq);
    return { unwritten: this.pending.length };
  }

  /** Reads up to `max` lines at the cursor into memory; false when nothing could be read now. */
  private loadFromDisk(max: number): boolean {
    const c = this.cursor!;
    const s = c.segment;
    let loaded = 0;
    if (c.offset < s.written) {
      const { lines, next, torn } = this.readLines(s, c.offset, max);
      c.offset = next;
      for (const line of lines) {
        const seq = c.seq++;
        if (s.old) s.lines = Math.max(s.lines, seq - s.firstSeq + 1);
        try {
          this.queue.push({
            generation: s.generation,
            seq,
            event: this.options.codec.decode(line),
            attempts: 0,
            segment: s,
            size: Buffer.byteLength(line) + 1,
            fromDisk: true,
          });
          loaded += 1;
        } catch (err) {
          this.corrupt += 1;
          s.acked += 1;
          s.ackedBytes += Buffer.byteLength(line) + 1;
          this.onError(new Error(`skipped a corrupt line of ${s.path}: ${toError(err).message}`));
        }
      }
      if (torn > 0) {
        // A last line without its newline: a crash cut it short. Its event was never acknowledged durable.
        this.corrupt += 1;
        s.ackedBytes += torn;
        this.onError(new Error(`skipped a torn last line of ${s.path}`));
      }
    }
    if (c.offset >= s.bytes && s.written === s.bytes) {
      if (s.sealed) {
        s.linesKnown = true;
        void this.closeRead(s);
        const i = this.segments.indexOf(s);
        const next = this.segments[i + 1];
        this.cursor = next ? { segment: next, offset: 0, seq: next.firstSeq } : undefined;
        void this.deleteFinished();
        return loaded > 0 || this.cursor !== undefined;
      }
      if (s === this.active) {
        // Caught up with everything appended and written: new events go to memory again.
        this.cursor = undefined;
        void this.closeRead(s);
      }
    }
    return loaded > 0;
  }

  private readLines(
    s: Segment,
    offset: number,
    max: number,
  ): { lines: string[]; next: number; torn: number } {
    s.readFd ??= this.fs.openRead(s.path);
    const lines: string[] = [];
    let chunk = READ_CHUNK;
    let next = offset;
    while (lines.length < max && next < s.written) {
      const want = Math.min(chunk, s.written - next);
      const buf = Buffer.allocUnsafe(want);
      const n = this.fs.read(s.readFd, buf, next);
      if (n === 0) {
        // The file is shorter than recorded (truncated behind our back): nothing more to read.
        s.written = s.bytes = next;
        break;
      }
      let start = 0;
      for (
        let nl = buf.indexOf(0x0a, start);
        nl >= 0 && nl < n && lines.length < max;
        nl = buf.indexOf(0x0a, start)
      ) {
        lines.push(buf.toString('utf8', start, nl));
        start = nl + 1;
      }
      if (start === 0) {
        if (next + n >= s.written && s.sealed && s.written === s.bytes) {
          return { lines, next: next + n, torn: n };
        }
        if (n < want || next + n >= s.written) break; // the rest of the line is not written yet
        chunk *= 2;
        continue;
      }
      next += start;
    }
    return { lines, next, torn: 0 };
  }

  /** Deletes finished segments from the oldest on; resolves once their files are gone. */
  private deleteFinished(): Promise<void> {
    const gone: Promise<void>[] = [];
    while (this.segments.length > 0) {
      const s = this.segments[0]!;
      if (!s.finished || s === this.cursor?.segment) break;
      this.segments.shift();
      gone.push(
        this.closeFiles(s).then(() => {
          try {
            this.fs.unlink(s.path);
          } catch (err) {
            this.onError(toError(err));
          }
        }),
      );
    }
    return Promise.all(gone).then(() => undefined);
  }

  private async closeFiles(s: Segment): Promise<void> {
    await this.closeRead(s);
    if (s.fd !== undefined) {
      const fd = s.fd;
      s.fd = undefined;
      try {
        await this.fs.close(fd);
      } catch (err) {
        this.onError(toError(err));
      }
    }
  }

  private async closeRead(s: Segment): Promise<void> {
    if (s.readFd === undefined) return;
    const fd = s.readFd;
    s.readFd = undefined;
    try {
      this.fs.closeSync(fd);
    } catch (err) {
      this.onError(toError(err));
    }
  }

  /** Writes what this task appended as soon as it ends (a microtask), unless a retry is pending. */
  private scheduleWrite(): void {
    if (this.writeScheduled || this.retryTimer) return;
    this.writeScheduled = true;
    queueMicrotask(() => {
      this.writeScheduled = false;
      if (!this.closed) this.writePending();
    });
  }

  /** Writes every buffered line in order, synchronously; false when a write failed (retried later). */
  private writePending(): boolean {
    if (this.pending.length === 0) return true;
    while (this.pending.length > 0) {
      const segment = this.pending[0]!.segment;
      let count = 0;
      while (count < this.pending.length && this.pending[count]!.segment === segment) count++;
      const data =
        count === 1 ? this.pending[0]!.buf : Buffer.concat(this.pending.slice(0, count).map((p) => p.buf));
      let written = 0;
      try {
        segment.fd ??= this.fs.openAppend(segment.path);
        while (written < data.length) {
          const n = this.fs.write(segment.fd, data, written, data.length - written);
          if (n <= 0) throw new Error(`the journal write to ${segment.path} made no progress`);
          written += n;
        }
      } catch (err) {
        this.consume(written);
        this.fail(toError(err));
        return false;
      }
      this.consume(written);
    }
    if (this.writeError) {
      this.writeError = undefined;
      this.failures = 0;
      this.onError(new Error('the journal is writable again'));
    }
    this.onProgress();
    if (this.durableWaiters.some((w) => w.seq <= this.writtenSeq)) this.requestSync();
    else this.scheduleSync();
    return true;
  }

  /** Starts an fsync now, or once the one in progress ends (group commit: it covers every line written). */
  private requestSync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    clearTimeout(this.fsyncTimer);
    this.fsyncTimer = undefined;
    this.syncing = this.syncLoop();
  }

  private async syncLoop(): Promise<void> {
    try {
      do {
        this.syncAgain = false;
        await this.syncOnce();
      } while (this.syncAgain);
    } catch (err) {
      // Not durable until a later fsync succeeds; waiters time out meanwhile.
      this.onError(toError(err));
      if (!this.closed) this.scheduleSync(Math.min(this.retryMs * 2 ** this.failures, MAX_RETRY_MS));
    } finally {
      // In the same microtask as the last look at syncAgain: a request cannot slip in between.
      this.syncing = undefined;
    }
  }

  /** fsyncs every open segment, then closes sealed ones fully written: lines written before it are durable. */
  private async syncOnce(): Promise<void> {
    const upTo = this.writtenSeq;
    if (upTo <= this.durableSeq && !this.segments.some((s) => this.closable(s))) return;
    for (const s of this.segments) if (s.fd !== undefined) await this.fs.fsync(s.fd);
    this.setDurable(upTo);
    let closed = false;
    for (const s of this.segments) {
      if (!this.closable(s)) continue;
      const fd = s.fd!;
      s.fd = undefined;
      await this.fs.close(fd);
      closed = true;
    }
    if (closed && !this.closed) void this.deleteFinished();
  }

  /** A sealed segment whose lines are all written and fsynced: its file can be closed. */
  private closable(s: Segment): boolean {
    return (
      s.fd !== undefined && s.sealed && s.written === s.bytes && s.firstSeq + s.lines - 1 <= this.durableSeq
    );
  }

  /** Accounts `bytes` written from the front of the buffer: whole lines leave it, a part of one stays. */
  private consume(bytes: number): void {
    let left = bytes;
    while (left > 0 && this.pending.length > 0) {
      const p = this.pending[0]!;
      const n = Math.min(left, p.buf.length);
      p.segment.written += n;
      this.pendingBytes -= n;
      left -= n;
      if (n === p.buf.length) {
        this.pending.shift();
        this.writtenSeq = p.seq;
      } else {
        p.buf = p.buf.subarray(n);
      }
    }
  }

  /** fsyncs every open segment; then every line written before the call is durable. */
  private async sync(): Promise<void> {
    const upTo = this.writtenSeq;
    for (const s of this.segments) if (s.fd !== undefined) await this.fs.fsync(s.fd);
    this.setDurable(upTo);
  }

  private setDurable(seq: number): void {
    if (seq <= this.durableSeq) return;
    this.durableSeq = seq;
    for (let i = this.durableWaiters.length - 1; i >= 0; i--) {
      const w = this.durableWaiters[i]!;
      if (w.seq <= seq) {
        this.durableWaiters.splice(i, 1);
        w.resolve(true);
      }
    }
  }

  /** An fsync within `delayMs` for written lines nobody waits for. */
  private scheduleSync(delayMs = this.fsyncIntervalMs): void {
    if (this.fsyncTimer || this.writtenSeq <= this.durableSeq) return;
    this.fsyncTimer = setTimeout(() => {
      this.fsyncTimer = undefined;
      this.requestSync();
    }, delayMs);
    this.fsyncTimer.unref();
  }

  private fail(err: Error): void {
    this.failures += 1;
    if (!this.writeError) this.onError(err);
    this.writeError = err;
    this.onProgress();
    if (this.closed) return;
    const delay = Math.min(this.retryMs * 2 ** (this.failures - 1), MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.writePending();
    }, delay);
    this.retryTimer.unref();
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
