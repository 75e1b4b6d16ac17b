// Live experiment control: PATCH /api/v1/experiments/:id (status, traffic, weights, winner; If-Match)
// and GET /api/v1/experiments/:id/history. The rules live in core/lifecycle.ts and control/registry.ts.
import { Hono } from 'hono';
import { z } from 'zod';
import { ControlError } from '../../control/control-error.js';
import type { HistoryEntry } from '../../core/lifecycle.js';
import { STATUSES } from '../../core/lifecycle.js';
import { ApiError } from '../../errors/api-error.js';
import type { AppEnv } from '../env.js';
import { readValidated } from '../read-json.js';
import { etagOf, experimentView, findExperiment } from './experiments.js';

const CHANGES = ['status', 'traffic', 'weights', 'winner'] as const;

/** A live change: any of status, traffic, weights, winner, with a reason for the history. */
export const patchRequest = z
  .strictObject({
    status: z.enum(STATUSES).optional(),
    traffic: z.number().optional(),
    weights: z.record(z.string(), z.number()).optional(),
    winner: z.string().optional(),
    /** Why, for the history. */
    reason: z.string().trim().max(1000).optional(),
  })
  .refine((b) => CHANGES.some((k) => b[k] !== undefined), {
    message: `nothing to change: give any of ${CHANGES.join(', ')}`,
  });

/** The version an If-Match header names: `"3"` (the ETag), `W/"3"` or `3`; `*` or none: any version. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  if (!m) {
    throw new ApiError(
      'bad_request',
      `If-Match must name one version, e.g. If-Match: "3" (the ETag of GET /api/v1/experiments/:id), not ${JSON.stringify(header)}`,
    );
  }
  return Number(m[1]);
}

/** A ControlError as the HTTP error it is. */
export function controlApiError(err: ControlError): ApiError {
  switch (err.kind) {
    case 'not_found':
      return new ApiError('experiment_not_found', err.message);
    case 'version_mismatch':
      return new ApiError('version_mismatch', err.message, { current_version: err.currentVersion });
    case 'invalid_transition':
      return new ApiError('invalid_transition', err.message);
    case 'invalid_value':
      return new ApiError('validation_failed', err.message);
    case 'unknown_arm':
      return new ApiError('unknown_arm', err.message);
    case 'route_conflict':
      return new ApiError('route_conflict', err.message);
    case 'unavailable':
      return new ApiError('store_unavailable', err.message);
  }
}

function historyJson(e: HistoryEntry) {
  return {
    version: e.version,
    at: new Date(e.at).toISOString(),
    actor: e.actor,
    source: e.source,
    reason: e.reason,
    changes: e.changes,
    before: e.before,
    after: e.after,
    ...(e.conflicts ? { conflicts: e.conflicts } : {}),
    ...(e.file ? { file: e.file.file, file_hash: e.file.hash } : {}),
  };
}

async function control<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof ControlError ? controlApiError(err) : err;
  }
}

export const controlRoutes = new Hono<AppEnv>()
  .patch('/api/v1/experiments/:id', async (c) => {
    const services = c.var.services;
    const id = c.req.param('id');
    findExperiment(services, id);
    const ifMatch = parseIfMatch(c.req.header('if-match'));
    const { reason, ...patch } = await readValidated(c, patchRequest);
    const result = await control(() =>
      services.registry.change(id, patch, {
        actor: c.var.adminActor ?? 'admin',
        reason: reason ?? null,
        ...(ifMatch !== undefined ? { ifMatch } : {}),
      }),
    );
    const exp = findExperiment(services, id);
    c.header('etag', etagOf(exp));
    return c.json({ ...experimentView(services, exp), changed: result.changed });
  })
  .get('/api/v1/experiments/:id/history', async (c) => {
    const id = c.req.param('id');
    const history = await control(() => c.var.services.registry.history(id));
    return c.json({ experiment: id, history: history.map(historyJson) });
  });
