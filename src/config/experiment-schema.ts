// Schema of an experiment definition file (experiments/*.yaml or *.json). Types derive from it.
import { z } from 'zod';
import { bucketRanges, AllocationError } from '../core/allocation.js';
import { HASH_VERSIONS } from '../core/hash.js';

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
  weight: z.number().positive().finite().default(1),
  upstream: upstreamUrl,
  control: z.boolean().optional(),
  /** Per-arm upstream timeout. @default 10000 */
  timeout_ms: z.number().int().positive().max(600_000).default(10_000),
  /** Retry once on control when this arm fails (connect error, timeout, 5xx). */
  fallback: z.literal('control').optional(),
  description: z.string().optional(),
});

export const metricSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'must be a lowercase metric name'),
  type: z.enum(['binomial', 'continuous']),
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
});

export const experimentSchema = z
  .strictObject({
    id: slug,
    description: z.string().default(''),
    status: z.enum(['draft', 'running', 'paused', 'stopped']),
    hash_version: z
      .number()
      .int()
      .refine((v) => (HASH_VERSIONS as readonly number[]).includes(v), {
        message: `unknown hash version; known: ${HASH_VERSIONS.join(', ')}`,
      })
      .default(1),
    salt: z.string().min(1).optional(),
    traffic: z.number().min(0).max(100).default(100),
    route: z.strictObject({ path: routePath, predict: predictSchema.optional() }),
    unit: unitSchema.default({ header: 'x-user-id' }),
    missing_unit: z.enum(['reject', 'control']).default('reject'),
    /** Two-sided significance level for reports. @default 0.05 */
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    arms: z.array(armSchema).min(2, 'needs at least two arms'),
    metrics: z.array(metricSchema).default([]),
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
    const controls = exp.arms.filter((a) => a.control === true);
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
    try {
      bucketRanges(exp.arms.map((a) => a.weight));
    } catch (err) {
      if (!(err instanceof AllocationError)) throw err;
      ctx.addIssue({ code: 'custom', path: ['arms'], message: err.message });
    }
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
    });
  })
  .transform((exp) => {
    const explicit = exp.arms.findIndex((a) => a.control === true);
    const controlIndex = explicit === -1 ? 0 : explicit;
    return {
      ...exp,
      salt: exp.salt ?? exp.id,
      arms: exp.arms.map((a, i) => ({ ...a, control: i === controlIndex })),
    };
  });

/** An experiment definition as loaded: defaults filled in, control resolved. */
export type ExperimentDefinition = z.output<typeof experimentSchema>;
export type ArmDefinition = ExperimentDefinition['arms'][number];
export type MetricDefinition = ExperimentDefinition['metrics'][number];
export type UnitSource = ExperimentDefinition['unit'];
