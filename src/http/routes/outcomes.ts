// POST /api/v1/outcomes: one outcome event or a batch; valid events are stored even when others are rejected.
import { Hono } from 'hono';
import { ApiError } from '../../errors/api-error.js';
import type { OutcomeRecord } from '../../store/event-store.js';
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
  const rejected: Rejection[] = [];
  events.forEach((raw, index) => {
    const v = validateOutcome(catalog, raw, index, receivedAt);
    if ('record' in v) records.push(v.record);
    else rejected.push(v.rejection);
  });

  const statuses = records.length > 0 ? await store.recordOutcomes(records) : [];
  metrics.observeOutcomes(records, statuses, rejected.length);
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
