// Validates outcome events one by one and resolves the experiments each may count in.
// One bad event is rejected with its index; it never takes the good ones down with it.
import { z } from 'zod';
import type { ExperimentCatalog, MetricTarget } from '../routing/catalog.js';
import type { OutcomeRecord } from '../store/event-store.js';
import { MAX_UNIT_ID_LENGTH } from '../gateway/unit-id.js';
import { describeIssues } from './read-json.js';

/**
 * Largest |value| accepted: squares of per-user sums must stay exact enough and finite in a
 * double; one runaway value would otherwise poison an arm's sum of squares for good.
 */
export const MAX_ABS_VALUE = 1e12;
const MAX_DATE_MS = 8.64e15;

export const outcomeEventSchema = z.strictObject({
  user_id: z.string().trim().min(1, 'must not be blank').max(MAX_UNIT_ID_LENGTH),
  metric: z.string().min(1).max(128),
  /** binomial: 0 or 1 (default 1); continuous: any finite number (required). */
  value: z
    .number()
    .finite()
    .refine((v) => Math.abs(v) <= MAX_ABS_VALUE, `must be between -${MAX_ABS_VALUE} and ${MAX_ABS_VALUE}`)
    .optional(),
  experiment: z.string().min(1).optional(),
  event_id: z.string().min(1).max(256).optional(),
  /** Milliseconds since the epoch or an ISO 8601 date-time; defaults to the time received. */
  timestamp: z
    .union([z.number().int().nonnegative().max(MAX_DATE_MS), z.iso.datetime({ offset: true })])
    .optional(),
});

/** Events may be stamped at most this far ahead of the gateway's clock (clock skew). */
export const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;

export type RejectionCode =
  'invalid_event' | 'unknown_metric' | 'unknown_experiment' | 'invalid_value' | 'store_refused';

export interface Rejection {
  readonly index: number;
  readonly code: RejectionCode;
  readonly message: string;
}

export type Validated = { record: OutcomeRecord } | { rejection: Rejection };

function targetsFor(
  catalog: ExperimentCatalog,
  metric: string,
  experiment: string | undefined,
): MetricTarget[] | { code: RejectionCode; message: string } {
  const all = catalog.targetsFor(metric);
  if (experiment === undefined) {
    if (all.length === 0) {
      return { code: 'unknown_metric', message: `no running experiment tracks metric "${metric}"` };
    }
    return [...all];
  }
  const exp = catalog.byId.get(experiment);
  if (!exp || !catalog.isCollecting(exp)) {
    return { code: 'unknown_experiment', message: `no running experiment "${experiment}"` };
  }
  const own = all.filter((t) => t.experiment === experiment);
  if (own.length === 0) {
    return {
      code: 'unknown_metric',
      message: `experiment "${experiment}" does not track metric "${metric}"`,
    };
  }
  return own;
}

/** Which configured bound `value` breaks, in words; undefined when it is inside every target's range. */
function boundBroken(targets: readonly MetricTarget[], value: number): string | undefined {
  for (const t of targets) {
    if (t.min !== undefined && value < t.min) {
      return `value ${value} is below the min of ${t.min} set by experiment "${t.experiment}"`;
    }
    if (t.max !== undefined && value > t.max) {
      return `value ${value} is above the max of ${t.max} set by experiment "${t.experiment}"`;
    }
  }
  return undefined;
}

export function validateOutcome(
  catalog: ExperimentCatalog,
  raw: unknown,
  index: number,
  now: number,
): Validated {
  const parsed = outcomeEventSchema.safeParse(raw);
  if (!parsed.success) {
    return { rejection: { index, code: 'invalid_event', message: describeIssues(parsed.error.issues) } };
  }
  const e = parsed.data;
  const targets = targetsFor(catalog, e.metric, e.experiment);
  if (!Array.isArray(targets)) return { rejection: { index, ...targets } };
  const binomial = targets.some((t) => t.metricType === 'binomial');
  const continuous = targets.some((t) => t.metricType === 'continuous');
  if (binomial && e.value !== undefined && e.value !== 0 && e.value !== 1) {
    return {
      rejection: {
        index,
        code: 'invalid_value',
        message: `metric "${e.metric}" is binomial: value must be 0 or 1`,
      },
    };
  }
  if (continuous && e.value === undefined) {
    return {
      rejection: {
        index,
        code: 'invalid_value',
        message: `metric "${e.metric}" is continuous: value is required`,
      },
    };
  }
  const outside = e.value === undefined ? undefined : boundBroken(targets, e.value);
  if (outside !== undefined) {
    return { rejection: { index, code: 'invalid_value', message: `metric "${e.metric}": ${outside}` } };
  }
  const timestamp =
    e.timestamp === undefined ? now : typeof e.timestamp === 'number' ? e.timestamp : Date.parse(e.timestamp);
  if (!Number.isFinite(timestamp) || timestamp > now + MAX_FUTURE_SKEW_MS) {
    return {
      rejection: { index, code: 'invalid_event', message: 'timestamp: is more than 24 h in the future' },
    };
  }
  return {
    record: {
      userId: e.user_id,
      metric: e.metric,
      value: e.value ?? 1,
      eventId: e.event_id,
      timestamp,
      targets,
    },
  };
}
