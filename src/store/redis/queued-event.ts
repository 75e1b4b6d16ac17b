// The events the Redis store queues, journals and replays, and their JSON-lines encoding.
import { z } from 'zod';
import type { JournalCodec } from '../journal/event-backlog.js';

export interface QueuedExposure {
  readonly kind: 'exposure';
  readonly experiment: string;
  readonly arm: string;
  readonly userId: string;
  readonly timestamp: number;
}

export interface QueuedOutcome {
  readonly kind: 'outcome';
  /** Identity of this enqueued record, assigned once: a replay of it is recognised by it. */
  readonly deliveryId: string;
  readonly userId: string;
  readonly metric: string;
  readonly value: number;
  readonly eventId?: string | undefined;
  readonly timestamp: number;
  readonly targets: readonly {
    readonly experiment: string;
    readonly metricType: 'binomial' | 'continuous';
  }[];
}

export type QueuedEvent = QueuedExposure | QueuedOutcome;

/** The id an outcome is deduplicated on: the client's event_id, or `~<delivery id>` when it gave none. */
export function dedupIdOf(outcome: QueuedOutcome): string {
  return outcome.eventId ?? `~${outcome.deliveryId}`;
}

const queuedEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('exposure'),
    experiment: z.string(),
    arm: z.string(),
    userId: z.string(),
    timestamp: z.number(),
  }),
  z.object({
    kind: z.literal('outcome'),
    deliveryId: z.string().min(1),
    userId: z.string(),
    metric: z.string(),
    value: z.number(),
    eventId: z.string().optional(),
    timestamp: z.number(),
    targets: z.array(z.object({ experiment: z.string(), metricType: z.enum(['binomial', 'continuous']) })),
  }),
]);

export const queuedEventCodec: JournalCodec<QueuedEvent> = {
  encode: (event) => JSON.stringify(event),
  decode: (line) => queuedEventSchema.parse(JSON.parse(line)),
};
