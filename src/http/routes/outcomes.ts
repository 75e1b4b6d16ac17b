// POST /api/v1/outcomes: one outcome event or a batch; valid events are stored even when others are rejected.
import { Hono } from 'hono';
import { ApiError } from '../../errors/api-error.js';
import { StoreUnavailableError, type OutcomeRecord, type OutcomeStatus } from '../../store/event-store.js';
import type { AppEnv } from '../env.js';
import { readJson } from '../read-json.js';
import { validateOutcome, type Rejection } from '../outcome-validation.js';

export const outcomeRoutes = new Hono<AppEnv>().post('/api/v1/outcomes', async (c) => {
  const { catalog, store, metrics, settings, now } = c.var.services;
  const body = await readJson(c);
  const single = !Array.isArray(body);
  if (single && (typeof body !== 'object' || body === null)) {
    throw new ApiError('validation_failed', 'body must be an outcome event object or an array of them');
  }
  const events: unknown[] = single ? [body] : (body as unknown[]);
  if (events.length === 0) throw new ApiError('validation_failed', 'the batch is empty');
  if (events.length > settings.outcomeBatchLimit) {
    throw new ApiError(
      'payload_too_large',
      `a batch holds at most ${settings.outcomeBatchLimit} events (ABGATE_OUTCOME_BATCH_LIMIT); this one has ${events.length}`,
    );
  }

  const receivedAt = now();
  const records: OutcomeRecord[] = [];
  const indexes: number[] = [];
  const rejected: Rejection[] = [];
  events.forEach((raw, index) => {
    const v = validateOutcome(catalog, raw, index, receivedAt);
    if ('record' in v) {
      records.push(v.record);
      indexes.push(index);
    } else rejected.push(v.rejection);
  });

  let statuses: OutcomeStatus[] = [];
  try {
    if (records.length > 0) statuses = await store.recordOutcomes(records);
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw new ApiError('store_unavailable', err.message);
    throw err;
  }
  statuses.forEach((s, i) => {
    if (s === 'refused') {
      rejected.push({
        index: indexes[i]!,
        code: 'store_refused',
        message: 'the event store kept refusing this event and gave it up; see the gateway log',
      });
    }
  });
  rejected.sort((a, b) => a.index - b.index);
  // 'refused' events are counted among the rejected ones.
  metrics.observeOutcomes(
    records,
    statuses.map((s) => (s === 'refused' ? undefined : s)),
    rejected.length,
  );
  const count = (s: string) => statuses.filter((x) => x === s).length;
  return c.json(
    {
      accepted: count('accepted'),
      duplicates: count('duplicate'),
      unattributed: count('unattributed'),
      held: count('held'),
      queued: count('queued'),
      rejected,
    },
    202,
  );
});
