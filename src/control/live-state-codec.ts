// Stored form of live state and history entries (JSON), checked on the way in: a hand-edited or
// corrupt value is refused with a clear message instead of reaching the hot path.
import { z } from 'zod';
import { STATUSES, type HistoryEntry, type LiveState } from '../core/lifecycle.js';

const weights = z.record(z.string(), z.number().positive());
const status = z.enum(STATUSES);

const fileValues = z.object({
  hash: z.string(),
  file: z.string(),
  status,
  traffic: z.number().min(0).max(100),
  weights,
  winner: z.string().nullable(),
  salt: z.string(),
  hashVersion: z.number().int(),
});

const phase = z.object({
  phase: z.number().int().positive(),
  startedAt: z.number(),
  weights,
  salt: z.string(),
  hashVersion: z.number().int(),
});

const liveState = z.object({
  experiment: z.string(),
  version: z.number().int().positive(),
  status,
  statusSince: z.number(),
  traffic: z.number().min(0).max(100),
  weights,
  winner: z.string().nullable(),
  phases: z.array(phase).min(1),
  updatedAt: z.number(),
  file: fileValues,
});

const view = z.object({
  status,
  traffic: z.number(),
  weights,
  winner: z.string().nullable(),
  phase: z.number().int(),
});

const conflict = z.object({
  field: z.string(),
  live: z.union([z.string(), z.number(), z.null()]),
  file: z.union([z.string(), z.number(), z.null()]),
});

const historyEntry = z.object({
  experiment: z.string(),
  version: z.number().int(),
  at: z.number(),
  actor: z.string(),
  source: z.enum(['file', 'api', 'restore']),
  reason: z.string().nullable(),
  before: view.nullable(),
  after: view,
  changes: z.array(z.string()),
  conflicts: z.array(conflict).optional(),
  file: z.object({ file: z.string(), hash: z.string() }).optional(),
});

export class CorruptLiveStateError extends Error {
  override readonly name = 'CorruptLiveStateError';
}

function decode<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CorruptLiveStateError(`${what} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CorruptLiveStateError(`${what} is malformed: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

export function encodeState(state: LiveState): string {
  return JSON.stringify(state);
}

export function decodeState(text: string, experiment: string): LiveState {
  return decode(liveState, text, `live state of "${experiment}"`);
}

export function encodeEntry(entry: HistoryEntry): string {
  return JSON.stringify(entry);
}

export function decodeEntry(text: string, experiment: string): HistoryEntry {
  return decode(historyEntry, text, `history entry of "${experiment}"`);
}
