// One append-only JSON-lines journal file: buffered appends, then chunked reads from a cursor once sealed.
import { closeSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { JournalName } from './journal-names.js';

const FIRST_READ_CHUNK = 1 << 20;
const NEWLINE = 0x0a;

export class JournalSegment {
  /** Lines appended and not yet written to the file (kept in memory if writing fails). */
  private pending: string[] = [];
  private pendingBytes = 0;
  private writeFd: number | undefined;
  private readFd: number | undefined;
  private fileBytes: number;
  private readOffset = 0;
  private sealed: boolean;
  /** Lines appended by this instance (unknown for claimed files). */
  appended = 0;
  /** Events handed out by `readLines` and decoded. */
  loaded = 0;
  /** Of the loaded events, those acknowledged by the store. */
  acked = 0;
  /** True once every line was handed out. */
  readDone = false;

  constructor(
    readonly path: string,
    readonly name: JournalName,
    /** Claimed from another instance: replays events this process did not enqueue. */
    readonly claimed: boolean,
    existingBytes = 0,
  ) {
    this.fileBytes = existingBytes;
    this.sealed = claimed;
  }

  /** Bytes on disk plus bytes waiting to be written. */
  get bytes(): number {
    return this.fileBytes + this.pendingBytes;
  }

  get writable(): boolean {
    return !this.sealed;
  }

  get hasPendingWrites(): boolean {
    return this.pending.length > 0;
  }

  /** Lines buffered in memory, not in the file. */
  get pendingLines(): number {
    return this.pending.length;
  }

  /** Buffers one line; `writePending` puts it in the file. */
  append(line: string): void {
    if (this.sealed) throw new Error(`journal segment ${this.path} is sealed`);
    const text = `${line}\n`;
    this.pending.push(text);
    this.pendingBytes += Buffer.byteLength(text);
    this.appended += 1;
  }

  /** Writes buffered lines; on error they stay buffered and the error is thrown. */
  writePending(): void {
    if (this.pending.length === 0) return;
    this.writeFd ??= openSync(this.path, 'a');
    const data = Buffer.from(this.pending.join(''));
    let written = 0;
    while (written < data.length) written += writeSync(this.writeFd, data, written, data.length - written);
    this.fileBytes += data.length;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Stops appends so the file can be read; buffered lines that cannot be written are served from memory. */
  seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    try {
      this.writePending();
    } finally {
      this.closeWriter();
    }
  }

  /** Up to `max` lines from the read cursor (sealed segments only). */
  readLines(max: number): string[] {
    if (!this.sealed) throw new Error(`journal segment ${this.path} must be sealed before reading`);
    const lines: string[] = [];
    let chunk = FIRST_READ_CHUNK;
    while (lines.length < max && this.readOffset < this.fileBytes) {
      this.readFd ??= openSync(this.path, 'r');
      const want = Math.min(chunk, this.fileBytes - this.readOffset);
      const buf = Buffer.allocUnsafe(want);
      const n = readSync(this.readFd, buf, 0, want, this.readOffset);
      if (n === 0) {
        this.fileBytes = this.readOffset; // the file is shorter than we thought
        break;
      }
      let start = 0;
      while (lines.length < max) {
        const nl = buf.indexOf(NEWLINE, start);
        if (nl < 0 || nl >= n) break;
        if (nl > start) lines.push(buf.toString('utf8', start, nl));
        start = nl + 1;
      }
      if (start === 0) {
        if (this.readOffset + n >= this.fileBytes) {
          // A last line without newline: a torn write. Hand it out; the decoder decides.
          lines.push(buf.toString('utf8', 0, n));
          start = n;
        } else {
          chunk *= 2;
          continue;
        }
      }
      this.readOffset += start;
    }
    if (this.readOffset >= this.fileBytes) {
      while (lines.length < max && this.pending.length > 0) {
        const text = this.pending.shift()!;
        this.pendingBytes -= Buffer.byteLength(text);
        lines.push(text.slice(0, -1));
      }
      if (this.pending.length === 0) this.readDone = true;
    }
    return lines;
  }

  /** Flushes what was written to disk (fsync). */
  sync(): void {
    if (this.writeFd !== undefined) {
      fsyncSync(this.writeFd);
      return;
    }
    if (this.fileBytes === 0) return;
    const fd = openSync(this.path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * At close, for a file partly read: replaces it (atomically, via a temporary file and a rename) with
   * `head` lines followed by the lines not handed out yet, so lines already acknowledged are not replayed.
   * Removes the file when nothing is left.
   */
  rewriteRest(head: readonly string[]): void {
    const chunks: Buffer[] = [Buffer.from(head.map((l) => `${l}\n`).join(''))];
    if (this.readOffset < this.fileBytes) {
      this.readFd ??= openSync(this.path, 'r');
      const rest = Buffer.allocUnsafe(this.fileBytes - this.readOffset);
      let got = 0;
      while (got < rest.length) {
        const n = readSync(this.readFd, rest, got, rest.length - got, this.readOffset + got);
        if (n === 0) break;
        got += n;
      }
      chunks.push(rest.subarray(0, got));
    }
    chunks.push(Buffer.from(this.pending.join('')));
    const data = Buffer.concat(chunks);
    if (data.length === 0) {
      this.delete();
      return;
    }
    const tmp = `${this.path}.rewrite`; // not a journal file name: never claimed or replayed
    const fd = openSync(tmp, 'w');
    try {
      let written = 0;
      while (written < data.length) written += writeSync(fd, data, written, data.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.close();
    renameSync(tmp, this.path);
    this.pending = [];
    this.pendingBytes = 0;
    this.fileBytes = data.length;
    this.readOffset = 0;
  }

  /** Closes file descriptors (buffered lines stay buffered). */
  close(): void {
    this.closeWriter();
    if (this.readFd !== undefined) {
      closeSync(this.readFd);
      this.readFd = undefined;
    }
  }

  /** Closes and removes the file. */
  delete(): void {
    this.close();
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.fileBytes = 0;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private closeWriter(): void {
    if (this.writeFd !== undefined) {
      closeSync(this.writeFd);
      this.writeFd = undefined;
    }
  }
}
