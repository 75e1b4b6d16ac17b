// The few file operations the journal uses, as a seam: tests inject short writes and ENOSPC.
import { dirname } from 'node:path';
import {
  close,
  closeSync,
  fsync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  writeFileSync,
} from 'node:fs';

export interface JournalFs {
  /** Opens for appending (O_APPEND | O_CREAT). */
  openAppend(path: string): number;
  /**
   * Writes from `buffer[offset…]` synchronously (into the page cache: about 1.5 µs for a line, where an
   * asynchronous write costs ~30 µs of CPU); may write fewer bytes than asked (a short write).
   */
  write(fd: number, buffer: Buffer, offset: number, length: number): number;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  /** Synchronous reads, for replay. */
  openRead(path: string): number;
  read(fd: number, buffer: Buffer, position: number): number;
  closeSync(fd: number): void;
  size(path: string): number;
  list(dir: string): string[];
  /** Removes a file; a missing one is fine. */
  unlink(path: string): void;
  /** A small file's text, or undefined when it does not exist. */
  readText(path: string): string | undefined;
  /** Writes a small file atomically (temporary file, fsync, rename). */
  writeTextAtomic(path: string, text: string): void;
  /** fsyncs a directory (best effort: not every file system allows it). */
  syncDir(dir: string): void;
}

export const nodeJournalFs: JournalFs = {
  openAppend: (path) => openSync(path, 'a'),
  write: (fd, buffer, offset, length) => writeSync(fd, buffer, offset, length),
  fsync: (fd) => new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve()))),
  close: (fd) => new Promise((resolve, reject) => close(fd, (err) => (err ? reject(err) : resolve()))),
  openRead: (path) => openSync(path, 'r'),
  read: (fd, buffer, position) => readSync(fd, buffer, 0, buffer.length, position),
  closeSync: (fd) => closeSync(fd),
  size: (path) => statSync(path).size,
  list: (dir) => readdirSync(dir),
  unlink: (path) => {
    try {
      unlinkSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  },
  readText: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  writeTextAtomic: (path, text) => {
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, text);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  },
  syncDir: (dir) => {
    try {
      const fd = openSync(dir, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      // not every file system lets a directory be fsynced
    }
  },
};

/**
 * `mkdir -p`, one level at a time. Node 20's `mkdirSync(path, { recursive: true })` spins forever on
 * some paths (e.g. under /proc, where mkdir answers ENOENT for a parent that exists); this fails fast.
 */
export function makeDirectory(path: string): void {
  try {
    mkdirSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path) throw err;
    makeDirectory(parent);
    try {
      mkdirSync(path);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    }
  }
}
