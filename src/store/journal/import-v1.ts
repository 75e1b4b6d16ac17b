// Upgrade path: abgate v1 kept unsent events in `<order>-<sub>~<owner>.jsonl` files at the top of the
// journal folder. They become one segment of generation 0 in slot 0, which replays before anything new
// (the codec reads v1 lines); v1's owner and claim files are removed.
import { join } from 'node:path';
import { appendFileSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import { makeDirectory, nodeJournalFs } from './journal-fs.js';
import { segmentName } from './journal.js';

const V1_FILE = /^\d{15}-\d{9}-[01]~[A-Za-z0-9_.-]+\.jsonl$/;
const V1_LEFTOVER = /\.(owner|claim)$|\.claim\.[A-Za-z0-9_.-]+\.stale$|\.jsonl\.rewrite$/;

/** Moves v1 journal files of `journalDir` into `slotZero`; returns the number of files imported. */
export function importV1Journal(journalDir: string, slotZero: string): number {
  let files: string[];
  try {
    files = readdirSync(journalDir).sort();
  } catch {
    return 0;
  }
  const v1 = files.filter((f) => V1_FILE.test(f));
  // Sort by order key, then dump (sub 0) before spill (sub 1) of the same key: v1's replay order.
  if (v1.length > 0) {
    makeDirectory(slotZero);
    const target = join(slotZero, segmentName(0, 0));
    for (const file of v1) {
      const text = readFileSync(join(journalDir, file), 'utf8');
      const lines = text.endsWith('\n') || text === '' ? text : `${text}\n`;
      appendFileSync(target, lines);
    }
    nodeJournalFs.syncDir(slotZero);
    for (const file of v1) unlinkSync(join(journalDir, file));
  }
  for (const f of files) if (V1_LEFTOVER.test(f)) nodeJournalFs.unlink(join(journalDir, f));
  return v1.length;
}
