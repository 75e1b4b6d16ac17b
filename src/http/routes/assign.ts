// POST /api/v1/assign: the arm of a user, for applications that call the model themselves.
import { Hono } from 'hono';
import { z } from 'zod';
import { decide } from '../../core/decision.js';
import { isRouted } from '../../core/lifecycle.js';
import { ApiError } from '../../errors/api-error.js';
import type { AppEnv } from '../env.js';
import { readValidated } from '../read-json.js';
import { MAX_UNIT_ID_LENGTH } from '../../gateway/unit-id.js';

/** Body of POST /api/v1/assign (also in the OpenAPI document). */
export const assignRequest = z.strictObject({
  experiment: z.string().min(1),
  user_id: z.string().trim().min(1, 'must not be blank').max(MAX_UNIT_ID_LENGTH),
});

export const assignRoutes = new Hono<AppEnv>().post('/api/v1/assign', async (c) => {
  const { catalog, store, now } = c.var.services;
  const body = await readValidated(c, assignRequest);
  const exp = catalog.byId.get(body.experiment);
  if (!exp) throw new ApiError('experiment_not_found', `no experiment "${body.experiment}"`);
  const { status } = exp.definition;
  // Concluded and rolled-back experiments still answer (the winner, or control), as their routes do.
  if (!isRouted(status)) {
    throw new ApiError(
      'experiment_not_running',
      `experiment "${exp.id}" is ${status}; only running, paused, concluded or rolled-back experiments assign`,
    );
  }
  const decision = decide(exp.allocation, status, body.user_id, undefined, exp.winnerIndex);
  const arm = exp.arms[decision.armIndex]!;
  if (decision.exposure) {
    store.recordExposure({
      experiment: exp.id,
      phase: exp.phase,
      arm: arm.name,
      userId: body.user_id,
      timestamp: now(),
    });
  }
  return c.json({ experiment: exp.id, arm: arm.name, in_experiment: decision.exposure });
});
