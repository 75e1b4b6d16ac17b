// The events the Redis store journals and sends, their compact JSON-lines form, and the reader for
// journal lines written by abgate v1 (so an upgrade with events still journaled loses none).
import { z } from 'zod';
import type { JournalCodec } from '../journal/journal.js';
import type { MetricType } from '../event-store.js';

export type TypeLetter = 'b' | 'c' | 'm';

export const typeLetter: Record<MetricType, TypeLetter> = { binomial: 'b', continuous: 'c', mean: 'm' };

export interface QueuedExposure {
  readonly k: 'x';
  readonly e: string;
  readonly p: number;
  readonly a: string;
  readonly u: string;
  readonly t: number;
  /** 1: a forced sighting, not an exposure. */
  readonly f?: 1 | undefined;
}

export interface QueuedRatio {
  readonly n: string;
  readonly role: 'n' | 'd';
  readonly om: string;
  readonly ot: TypeLetter;
  readonly oc?: number | undefined;
}

export interface QueuedTarget {
  readonly e: string;
  readonly p: number;
  readonly ty: TypeLetter;
  readonly cap?: number | undefined;
  readonly r?: readonly QueuedRatio[] | undefined;
}

export interface QueuedOutcome {
  readonly k: 'o';
  readonly u: string;
  readonly m: string;
  readonly v: number;
  readonly id?: string | undefined;
  readonly t: number;
  readonly to: readonly QueuedTarget[];
}

export interface QueuedGuardrail {
  readonly k: 'g';
  readonly e: string;
  readonly p: number;
  readonly a: string;
  readonly u: string;
  readonly err: 0 | 1;
  readonly lat: number;
  readonly n: number;
  readonly t: number;
}

export type QueuedEvent = QueuedExposure | QueuedOutcome | QueuedGuardrail;

const letter = z.enum(['b', 'c', 'm']);
const finite = z.number().finite();

const eventSchema = z.discriminatedUnion('k', [
  z.object({
    k: z.literal('x'),
    e: z.string().min(1),
    p: z.number().int().positive(),
    a: z.string().min(1),
    u: z.string().min(1),
    t: finite,
    f: z.literal(1).optional(),
  }),
  z.object({
    k: z.literal('o'),
    u: z.string().min(1),
    m: z.string().min(1),
    v: finite,
    id: z.string().min(1).optional(),
    t: finite,
    to: z.array(
      z.object({
        e: z.string().min(1),
        p: z.number().int().positive(),
        ty: letter,
        cap: finite.optional(),
        r: z
          .array(
            z.object({
              n: z.string().min(1),
              role: z.enum(['n', 'd']),
              om: z.string().min(1),
              ot: letter,
              oc: finite.optional(),
            }),
          )
          .optional(),
      }),
    ),
  }),
  z.object({
    k: z.literal('g'),
    e: z.string().min(1),
    p: z.number().int().positive(),
    a: z.string().min(1),
    u: z.string().min(1),
    err: z.union([z.literal(0), z.literal(1)]),
    lat: finite,
    n: z.number().int().positive(),
    t: finite,
  }),
]);

/** Lines of abgate v1 journals: `{ kind: 'exposure' | 'outcome', … }`. */
const v1Schema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('exposure'),
    experiment: z.string(),
    arm: z.string(),
    userId: z.string(),
    timestamp: z.number(),
  }),
  z.object({
    kind: z.literal('outcome'),
    userId: z.string(),
    metric: z.string(),
    value: z.number(),
    eventId: z.string().optional(),
    timestamp: z.number(),
    targets: z.array(z.object({ experiment: z.string(), metricType: z.enum(['binomial', 'continuous']) })),
  }),
]);

/** Reads a v1 journal line as a v2 event (phase 1). */
export function fromV1(line: string): QueuedEvent {
  const v1 = v1Schema.parse(JSON.parse(line));
  if (v1.kind === 'exposure') {
    return { k: 'x', e: v1.experiment, p: 1, a: v1.arm, u: v1.userId, t: v1.timestamp };
  }
  return {
    k: 'o',
    u: v1.userId,
    m: v1.metric,
    v: v1.value,
    id: v1.eventId,
    t: v1.timestamp,
    to: v1.targets.map((t) => ({ e: t.experiment, p: 1, ty: typeLetter[t.metricType] })),
  };
}

export const queuedEventCodec: JournalCodec<QueuedEvent> = {
  encode: (event) => JSON.stringify(event),
  decode: (line) => {
    const json: unknown = JSON.parse(line);
    if (typeof json === 'object' && json !== null && 'kind' in json) return fromV1(line);
    return eventSchema.parse(json) as QueuedEvent;
  },
};
