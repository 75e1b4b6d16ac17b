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
  /**
   * When the store first sent this delivery to Redis (ms since epoch), if it did: from then on it may be
   * applied, and only its delivery marker (replayWindowSeconds) makes a re-send harmless. Journaled.
   */
  readonly sentAt?: number | undefined;
}

export type QueuedEvent = QueuedExposure | QueuedOutcome;

/**
 * The marker id of one delivery, `~<delivery id>` (the same name outcomes without event_id always used):
 * it makes a replay of the delivery idempotent. The event_id marker is named by the event_id itself.
 */
export function deliveryMarkerIdOf(outcome: QueuedOutcome): string {
  return `~${outcome.deliveryId}`;
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
    sentAt: z.number().optional(),
  }),
]);

export const queuedEventCodec: JournalCodec<QueuedEvent> = {
  encode: (event) => JSON.stringify(event),
  decode: (line) => queuedEventSchema.parse(JSON.parse(line)),
};
