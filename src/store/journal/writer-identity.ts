// Who writes a journal slot, and which run of that writer this is. Events are numbered (generation,
// sequence) per writer, and Redis remembers per experiment phase the highest number it applied from each
// writer: that is what makes a replay idempotent without any time limit.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { JournalFs } from './journal-fs.js';

export interface WriterIdentity {
  /** Stable id of the slot directory's writer: letters, digits and '-'. */
  readonly writer: string;
  /** Incremented at every start; events of a run are (generation, 0), (generation, 1), … */
  readonly generation: number;
}

const FILE = 'writer.json';

/**
 * Reads the slot's identity (creating a writer id on first use), increments the generation and saves it
 * durably before any event of the new run is written.
 */
export function nextGeneration(
  dir: string,
  fs: JournalFs,
  newId = () => randomBytes(9).toString('hex'),
): WriterIdentity {
  const path = join(dir, FILE);
  const text = fs.readText(path);
  let writer = newId();
  let generation = 0;
  if (text !== undefined) {
    const parsed = JSON.parse(text) as { writer?: unknown; generation?: unknown };
    if (typeof parsed.writer !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(parsed.writer)) {
      throw new Error(`${path}: not a journal writer file (bad "writer")`);
    }
    if (!Number.isSafeInteger(parsed.generation) || (parsed.generation as number) < 0) {
      throw new Error(`${path}: not a journal writer file (bad "generation")`);
    }
    writer = parsed.writer;
    generation = parsed.generation as number;
  }
  const next = { writer, generation: generation + 1 };
  fs.writeTextAtomic(path, JSON.stringify(next));
  fs.syncDir(dir);
  return next;
}
