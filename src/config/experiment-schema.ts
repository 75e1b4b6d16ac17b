// Schema of an experiment definition file (experiments/*.yaml or *.json). Types derive from it.
import { z } from 'zod';
import { bucketRanges, AllocationError } from '../core/allocation.js';
import { HASH_VERSIONS } from '../core/hash.js';
import { STATUSES } from '../core/lifecycle.js';

/** Gateway-owned path prefixes an experiment may not claim (/v2/health: KServe v2 health, see route.predict). */
export const RESERVED_PATHS = ['/api', '/reports', '/healthz', '/readyz', '/metrics', '/v2/health'] as const;

const slug = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be a slug: lowercase letters, digits, "-" or "_", at most 63 chars',
  );

const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a valid HTTP header name')
  .transform((h) => h.toLowerCase());

function parseUrl(s: string): URL | undefined {
  try {
    return new URL(s);
  } catch {
    return undefined;
  }
}

const upstreamUrl = z.string().superRefine((s, ctx) => {
  const u = parseUrl(s);
  if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '') {
    ctx.addIssue({
      code: 'custom',
      message: 'must be an absolute http(s) URL, e.g. http://127.0.0.1:9001/predict',
    });
  } else if (u.search || u.hash) {
    ctx.addIssue({ code: 'custom', message: 'must not carry a query string or fragment' });
  }
});

const routePath = z
  .string()
  .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, 'must be an absolute URL path starting with "/"')
  .transform((p) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p))
  .refine((p) => p !== '/', 'must not be "/" (that would capture every gateway endpoint)')
  .refine(
    (p) => !RESERVED_PATHS.some((r) => p === r || p.startsWith(`${r}/`)),
    `must not be under a reserved gateway path (${RESERVED_PATHS.join(', ')})`,
  );

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * Which requests on the route are predictions (assigned, exposed, sent to the arm); the others
 * (health, metadata) go to control without a unit and without an exposure. Both lists must match;
 * an absent list matches everything. @default every request is a prediction
 */
export const predictSchema = z.strictObject({
  /** e.g. [POST] */
  methods: z
    .array(
      z
        .string()
        .transform((m) => m.toUpperCase())
        .pipe(z.enum(HTTP_METHODS)),
    )
    .min(1)
    .optional(),
  /** Sub-paths after route.path ("/" is the route itself; "*" matches one segment), e.g. [/infer]. */
  paths: z
    .array(z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/, 'must be a sub-path starting with "/"'))
    .min(1)
    .optional(),
});

export const unitSchema = z.union([
  z.strictObject({ header: headerName }),
  z.strictObject({ cookie: z.string().min(1) }),
  z.strictObject({ query: z.string().min(1) }),
]);

export const armSchema = z.strictObject({
  name: slug,
  /** Share of the users; a shadow arm gets none (0 or absent). @default 1 */
  weight: z.number().nonnegative().finite().optional(),
  upstream: upstreamUrl,
  control: z.boolean().optional(),
  /** Per-arm upstream timeout. @default 10000 */
  timeout_ms: z.number().int().positive().max(600_000).default(10_000),
  /** Retry once on control when this arm fails (connect error, timeout, 5xx). */
  fallback: z.literal('control').optional(),
  /**
   * A shadow arm gets no users: it receives a copy of each request of the arms it shadows, after the
   * served answer started, and its answer is only measured (never returned, never waited for).
   */
  shadow: z.boolean().optional(),
  /** Shadow arms only: the arms whose requests it mirrors. @default every arm that is not a shadow */
  shadows: z.array(slug).min(1).optional(),
  description: z.string().optional(),
});

const metricName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'must be a lowercase metric name');

export const metricSchema = z.strictObject({
  name: metricName,
  /**
   * binomial (0/1 per user), continuous (sum per user), or ratio (Σ numerator / Σ denominator over users,
   * e.g. revenue per session: two other metrics of the experiment, per user, with the delta method).
   */
  type: z.enum(['binomial', 'continuous', 'ratio']),
  direction: z.enum(['increase', 'decrease']).default('increase'),
  /** Relative minimum detectable effect for the sample-size estimate. @default 0.05 */
  mde: z
    .number()
    .min(0.001, 'is relative (0.05 = 5%); below 0.001 (0.1%) no experiment could reach the sample it needs')
    .max(
      1,
      'is relative (0.05 = 5%); above 1 (a 100% change) is implausible: did you mean a percentage, e.g. 5 for 0.05?',
    )
    .default(0.05),
  description: z.string().optional(),
  /** Continuous only: smallest plausible value of one event; events below it are rejected. */
  min: z.number().finite().optional(),
  /** Continuous only: largest plausible value of one event; events above it are rejected. */
  max: z.number().finite().optional(),
  /**
   * Continuous only: each user's value counts as at most `cap` (winsorising whales), applied to the
   * user's running total so the sums stay exact.
   */
  cap: z.number().finite().positive().optional(),
  /** Ratio only: the metric summed per user above the line, e.g. revenue. */
  numerator: metricName.optional(),
  /** Ratio only: the metric summed per user below the line, e.g. sessions. */
  denominator: metricName.optional(),
});

/** Metrics the gateway records itself for every experiment: users who got an error, users' mean latency. */
export const BUILT_IN_GUARDRAILS = ['abgate_errors', 'abgate_latency_ms'] as const;

export const guardrailSchema = z
  .strictObject({
    metric: metricName,
    /** Largest acceptable increase, absolute (e.g. 0.005 more users with an error). */
    max_increase: z.number().finite().nonnegative().optional(),
    /** Largest acceptable increase relative to control (0.10 = +10%). */
    max_relative_increase: z.number().finite().nonnegative().optional(),
    /** Largest acceptable decrease, absolute. */
    max_decrease: z.number().finite().nonnegative().optional(),
    /** Largest acceptable decrease relative to control. */
    max_relative_decrease: z.number().finite().nonnegative().optional(),
  })
  .refine(
    (g) =>
      [g.max_increase, g.max_relative_increase, g.max_decrease, g.max_relative_decrease].some(
        (v) => v !== undefined,
      ),
    { message: 'give a limit: max_increase, max_relative_increase, max_decrease or max_relative_decrease' },
  );

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** A duration such as `500ms`, `30s`, `10m` or `2h`, in milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * DURATION_UNITS_MS[m[2] as keyof typeof DURATION_UNITS_MS];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}

/** Shortest step of an automated canary: below a second, no check could see any traffic. */
export const MIN_STEP_INTERVAL_MS = 1000;

/**
 * Automated canary: `traffic` walks through `steps` (percent), one step per `step_interval` once
 * each arm has `min_users_per_arm`; a guardrail breach (or an SRM) rolls back at once.
 */
export const rolloutSchema = z
  .strictObject({
    steps: z
      .array(z.number().gt(0, 'must be above 0 (percent of users)').max(100, 'must be at most 100 (percent)'))
      .min(1, 'needs at least one step, e.g. [1, 5, 25, 50]')
      .refine((steps) => steps.every((v, i) => i === 0 || v > steps[i - 1]!), {
        message: 'must increase strictly, e.g. [1, 5, 25, 50]',
      }),
    step_interval: z.string().superRefine((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30s, 10m or 1h' });
      } else if (ms < MIN_STEP_INTERVAL_MS) {
        ctx.addIssue({ code: 'custom', message: 'must be at least 1s' });
      }
    }),
    /** Users each arm needs before the canary leaves a step (counted over the phase). @default 100 */
    min_users_per_arm: z.number().int().min(0).max(1e9).default(100),
    /** After the last step without a breach: conclude with the treatment as winner, or hold for a person. @default "conclude" */
    on_success: z.enum(['conclude', 'hold']).default('conclude'),
  })
  .transform((r) => ({ ...r, step_interval_ms: parseDuration(r.step_interval)! }));

/** Traffic share that enrols nobody although it is not 0: below one bucket of 10,000. */
const MIN_TRAFFIC = 0.01;

export const experimentSchema = z
  .strictObject({
    id: slug,
    description: z.string().default(''),
    /** Where the experiment starts (live control may change it: see README "Changing a running experiment"). */
    status: z.enum(STATUSES),
    /** The arm that serves everyone once concluded; required with (and only with) status concluded. */
    winner: slug.optional(),
    hash_version: z
      .number()
      .int()
      .refine((v) => (HASH_VERSIONS as readonly number[]).includes(v), {
        message: `unknown hash version; known: ${HASH_VERSIONS.join(', ')}`,
      })
      .default(1),
    salt: z.string().min(1).optional(),
    traffic: z
      .number()
      .min(0)
      .max(100)
      .refine(
        (t) => t === 0 || t >= MIN_TRAFFIC,
        `must be 0 or at least ${MIN_TRAFFIC} (one user bucket of 10,000); a smaller share would enrol nobody`,
      )
      .default(100),
    route: z.strictObject({ path: routePath, predict: predictSchema.optional() }),
    unit: unitSchema.default({ header: 'x-user-id' }),
    missing_unit: z.enum(['reject', 'control']).default('reject'),
    /** Two-sided significance level for reports. @default 0.05 */
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /**
     * sequential: always-valid confidence sequences and p-values, right however often anyone looks
     * (the default); fixed: one look at a planned sample size (classic tests). @default "sequential"
     */
    analysis: z.enum(['sequential', 'fixed']).default('sequential'),
    /** Multiple-testing correction over every metric × non-control arm (guardrails excluded). @default "holm" */
    correction: z.enum(['holm', 'benjamini-hochberg', 'none']).default('holm'),
    /**
     * Total users (all arms) the experiment plans to expose: the sequential analysis is tuned to be
     * narrowest there. @default 5000
     */
    planned_users: z.number().int().min(100).max(1e12).default(5000),
    arms: z.array(armSchema).min(2, 'needs at least two arms'),
    metrics: z.array(metricSchema).default([]),
    /**
     * One-sided limits on metrics that must not get worse (built-in abgate_errors, abgate_latency_ms,
     * or a metric of this experiment), tested sequentially; the canary rolls back on a breach.
     */
    guardrails: z.array(guardrailSchema).default([]),
    /** Automated canary of the one non-control arm (see README "Canary rollouts"). */
    rollout: rolloutSchema.optional(),
  })
  .superRefine((exp, ctx) => {
    const names = new Set<string>();
    exp.arms.forEach((arm, i) => {
      if (names.has(arm.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['arms', i, 'name'],
          message: `duplicate arm name "${arm.name}"`,
        });
      }
      names.add(arm.name);
    });
    if (exp.status === 'concluded' && exp.winner === undefined) {
      ctx.addIssue({ code: 'custom', path: ['winner'], message: 'required with status concluded' });
    } else if (exp.winner !== undefined && exp.status !== 'concluded') {
      ctx.addIssue({ code: 'custom', path: ['winner'], message: 'only goes with status concluded' });
    } else if (
      exp.winner !== undefined &&
      (!names.has(exp.winner) || exp.arms.some((a) => a.name === exp.winner && a.shadow === true))
    ) {
      ctx.addIssue({ code: 'custom', path: ['winner'], message: `no arm "${exp.winner}"` });
    }
    const controls = exp.arms.filter((a) => a.control === true && a.shadow !== true);
    if (controls.length > 1) {
      ctx.addIssue({ code: 'custom', path: ['arms'], message: 'only one arm may be marked control: true' });
    }
    exp.arms.forEach((arm, i) => {
      if (arm.fallback && (arm.control === true || (controls.length === 0 && i === 0))) {
        ctx.addIssue({
          code: 'custom',
          path: ['arms', i, 'fallback'],
          message: 'the control arm cannot fall back to itself',
        });
      }
    });
    const served = exp.arms.filter((a) => a.shadow !== true);
    exp.arms.forEach((arm, i) => {
      const at = (field: string) => ['arms', i, field];
      if (arm.shadow === true) {
        if (arm.weight !== undefined && arm.weight !== 0)
          ctx.addIssue({
            code: 'custom',
            path: at('weight'),
            message: 'a shadow arm gets no users: weight 0 or none',
          });
        if (arm.control === true)
          ctx.addIssue({
            code: 'custom',
            path: at('control'),
            message: 'control serves users; it cannot be a shadow',
          });
        if (arm.fallback)
          ctx.addIssue({
            code: 'custom',
            path: at('fallback'),
            message: 'a shadow arm never answers a client: no fallback',
          });
        for (const name of arm.shadows ?? []) {
          if (!served.some((a) => a.name === name))
            ctx.addIssue({
              code: 'custom',
              path: at('shadows'),
              message: `"${name}" is not an arm that serves users`,
            });
        }
      } else {
        if (arm.shadows !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: at('shadows'),
            message: 'only for shadow arms (shadow: true)',
          });
        if (arm.weight === 0)
          ctx.addIssue({
            code: 'custom',
            path: at('weight'),
            message: 'must be above 0 (only shadow arms have none)',
          });
      }
    });
    if (served.length < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['arms'],
        message: 'needs at least two arms that serve users (not shadows)',
      });
    }
    try {
      bucketRanges(served.map((a) => a.weight ?? 1));
    } catch (err) {
      if (!(err instanceof AllocationError)) throw err;
      ctx.addIssue({ code: 'custom', path: ['arms'], message: err.message });
    }
    if (exp.rollout) {
      const candidates = exp.arms.filter((a) => a.shadow !== true);
      const treatments = candidates.filter(
        (a, i) => !(a.control === true || (controls.length === 0 && i === 0)),
      );
      if (treatments.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['rollout'],
          message: `a canary rolls out exactly one arm next to control; this experiment has ${treatments.length} (${treatments.map((a) => a.name).join(', ')}): split it into one experiment per candidate`,
        });
      }
      if (exp.guardrails.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['rollout'],
          message:
            'a canary needs at least one guardrail to roll back on, e.g. guardrails: [{ metric: abgate_errors, max_increase: 0.01 }]',
        });
      }
      const first = exp.rollout.steps[0];
      if (first !== undefined && exp.traffic > first) {
        ctx.addIssue({
          code: 'custom',
          path: ['traffic'],
          message: `must be at most the canary's first step (${first}); set traffic: 0 and the rollout starts it`,
        });
      }
    }
    const metricType = new Map(exp.metrics.map((m) => [m.name, m.type]));
    exp.guardrails.forEach((g, i) => {
      if (!metricType.has(g.metric) && !(BUILT_IN_GUARDRAILS as readonly string[]).includes(g.metric)) {
        ctx.addIssue({
          code: 'custom',
          path: ['guardrails', i, 'metric'],
          message: `"${g.metric}" is neither a metric of this experiment nor built in (${BUILT_IN_GUARDRAILS.join(', ')})`,
        });
      }
    });
    exp.metrics.forEach((m, i) => {
      if ((BUILT_IN_GUARDRAILS as readonly string[]).includes(m.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'name'],
          message: `"${m.name}" is measured by the gateway itself; list it under guardrails instead`,
        });
      }
    });
    exp.metrics.forEach((m, i) => {
      const at = (field: string) => ['metrics', i, field];
      if (m.cap !== undefined && m.type !== 'continuous') {
        ctx.addIssue({ code: 'custom', path: at('cap'), message: 'only continuous metrics can be capped' });
      }
      if (m.type !== 'ratio') {
        for (const f of ['numerator', 'denominator'] as const) {
          if (m[f] !== undefined)
            ctx.addIssue({ code: 'custom', path: at(f), message: 'only for type ratio' });
        }
        return;
      }
      for (const f of ['numerator', 'denominator'] as const) {
        const part = m[f];
        const partType = part === undefined ? undefined : metricType.get(part);
        if (part === undefined) {
          ctx.addIssue({ code: 'custom', path: at(f), message: `a ratio metric needs its ${f} metric` });
        } else if (partType === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: at(f),
            message: `"${part}" is not a metric of this experiment`,
          });
        } else if (partType === 'ratio') {
          ctx.addIssue({
            code: 'custom',
            path: at(f),
            message: `"${part}" is a ratio; use binomial or continuous metrics`,
          });
        }
      }
      for (const f of ['min', 'max'] as const) {
        if (m[f] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: at(f),
            message: 'ratio metrics take no events: bound their parts instead',
          });
      }
    });
    const metricNames = new Set<string>();
    exp.metrics.forEach((m, i) => {
      if (metricNames.has(m.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'name'],
          message: `duplicate metric "${m.name}"`,
        });
      }
      metricNames.add(m.name);
      for (const bound of ['min', 'max'] as const) {
        if (m[bound] !== undefined && m.type !== 'continuous') {
          ctx.addIssue({
            code: 'custom',
            path: ['metrics', i, bound],
            message: `applies to continuous metrics only (a binomial value is 0 or 1)`,
          });
        }
      }
      if (m.min !== undefined && m.max !== undefined && m.min > m.max) {
        ctx.addIssue({
          code: 'custom',
          path: ['metrics', i, 'max'],
          message: `must not be below min (${m.min})`,
        });
      }
    });
  })
  .transform((exp) => {
    // Shadow arms are kept apart: allocation, live weights and reports only ever see the served arms.
    const served = exp.arms.filter((a) => a.shadow !== true);
    const explicit = served.findIndex((a) => a.control === true);
    const controlIndex = explicit === -1 ? 0 : explicit;
    const names = served.map((a) => a.name);
    return {
      ...exp,
      salt: exp.salt ?? exp.id,
      arms: served.map(({ shadow: _s, shadows: _m, ...a }, i) => ({
        ...a,
        weight: a.weight ?? 1,
        control: i === controlIndex,
      })),
      shadow_arms: exp.arms
        .filter((a) => a.shadow === true)
        .map(({ shadow: _s, weight: _w, control: _c, fallback: _f, ...a }) => ({
          ...a,
          shadows: a.shadows ?? names,
        })),
    };
  });

/** An experiment definition as loaded: defaults filled in, control resolved. */
export type ExperimentDefinition = z.output<typeof experimentSchema>;
export type ArmDefinition = ExperimentDefinition['arms'][number];
export type ShadowArmDefinition = ExperimentDefinition['shadow_arms'][number];
export type MetricDefinition = ExperimentDefinition['metrics'][number];
export type UnitSource = ExperimentDefinition['unit'];
