// Names of journal files: the order key comes first, so sorting names sorts files oldest first.

/** What a journal file name says. */
export interface JournalName {
  /** `<ms since epoch, 15 digits>-<sequence, 9 digits>`: files replay in this order. */
  readonly orderKey: string;
  /** '0' for a dump of the memory queue written at close, '1' for a spill segment; '0' sorts first. */
  readonly sub: '0' | '1';
  /** Instance that owns (wrote or claimed) the file. */
  readonly owner: string;
}

const JOURNAL_FILE = /^(\d{15}-\d{9})-([01])~([A-Za-z0-9_.-]+)\.jsonl$/;
const INSTANCE_ID = /^[A-Za-z0-9_.-]{1,100}$/;

/** True when `id` can name journal files: letters, digits, '_', '.', '-', at most 100 chars. */
export function isValidInstanceId(id: string): boolean {
  return INSTANCE_ID.test(id);
}

export function makeOrderKey(epochMs: number, sequence: number): string {
  return `${String(Math.max(0, Math.floor(epochMs))).padStart(15, '0')}-${String(sequence).padStart(9, '0')}`;
}

export function journalFileName(name: JournalName): string {
  return `${name.orderKey}-${name.sub}~${name.owner}.jsonl`;
}

/** Parses a journal file name; undefined for any other file. */
export function parseJournalFileName(file: string): JournalName | undefined {
  const m = JOURNAL_FILE.exec(file);
  if (!m) return undefined;
  return { orderKey: m[1]!, sub: m[2] as '0' | '1', owner: m[3]! };
}

export function ownerFileName(owner: string): string {
  return `${owner}.owner`;
}
