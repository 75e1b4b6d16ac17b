// Gateway settings: one schema, read from environment variables and overridden by CLI flags.
import { z } from 'zod';
import { ConfigError } from './config-error.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/** `*`, or an origin as browsers send it: scheme://host[:port], nothing after. */
function isOrigin(value: string): boolean {
  if (value === '*') return true;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * Every setting, its environment variable and its default. The compose file and the README
 * are checked against this table, so a variable documented there is one the code reads.
 */
export const settingsSchema = z.object({
  /** PORT. @default 8080 */
  port: int(0, 65535).default(8080),
  /** ABGATE_HOST: interface to listen on. @default "0.0.0.0" */
  host: z.string().min(1).default('0.0.0.0'),
  /** ABGATE_EXPERIMENTS: folder of experiment files. @default "./experiments" */
  experimentsDir: z.string().min(1).default('./experiments'),
  /** REDIS_URL: when unset, the embedded in-memory store is used (not durable). */
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional(),
  /** ABGATE_MAX_BODY_BYTES: largest accepted request body. @default 1048576 (1 MiB) */
  maxBodyBytes: int(1).default(1024 * 1024),
  /** ABGATE_API_TOKEN: when set, experiment and report endpoints need `Authorization: Bearer <token>`. */
  apiToken: z
    .string()
    .regex(/^[A-Za-z0-9._~+/-]+=*$/, 'must be a bearer token: letters, digits and . _ ~ + / - (RFC 6750)')
    .optional(),
  /** ABGATE_OUTCOME_BATCH_LIMIT: most events in one POST /api/v1/outcomes. @default 1000 */
  outcomeBatchLimit: int(1, 100_000).default(1000),
  /** ABGATE_DEDUP_WINDOW_S: how long an event_id is remembered. @default 86400 (24 h) */
  dedupWindowSeconds: int(1).default(86_400),
  /**
   * ABGATE_REPLAY_WINDOW_S: how long Redis keeps the marker that makes a re-sent batch harmless.
   * An outcome whose first send is older than this when Redis returns is given up (failedEvents).
   * @default 21600 (6 h)
   */
  replayWindowSeconds: int(60).default(21_600),
  /** ABGATE_QUEUE_LIMIT: events held in memory while Redis is away before spilling to the journal. @default 100000 */
  queueLimit: int(1).default(100_000),
  /** ABGATE_JOURNAL_DIR: where the on-disk journal of unsent events lives. @default "./data/journal" */
  journalDir: z.string().min(1).default('./data/journal'),
  /** ABGATE_STREAM_MAXLEN: approximate cap of each experiment's raw event stream. @default 1000000 */
  streamMaxLen: int(0).default(1_000_000),
  /** ABGATE_LOG_LEVEL. @default "info" */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * ABGATE_LOG_SAMPLE_RATE: share of successful requests logged (errors always are). A line per
   * request costs about a tenth of the gateway's CPU at saturation, hence the low default.
   * @default 0.01
   */
  logSampleRate: z.coerce.number().min(0).max(1).default(0.01),
  /** ABGATE_WORKERS: worker processes (node:cluster); 1 runs in-process. @default 1 */
  workers: int(1, 256).default(1),
  /** ABGATE_SHUTDOWN_TIMEOUT_MS: longest wait for in-flight requests on SIGTERM. @default 30000 */
  shutdownTimeoutMs: int(0).default(30_000),

  // ── Redis Cluster (the store owner wires it; declared here so deployments can name it) ──────
  /**
   * ABGATE_REDIS_CLUSTER: Redis Cluster seed nodes, `host:port,host:port,…`; selects a cluster
   * instead of the single Redis of REDIS_URL. @default none
   */
  redisCluster: z
    .string()
    .regex(
      /^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/,
      'must be comma-separated host:port seed nodes, e.g. redis-0:6379,redis-1:6379',
    )
    .optional(),

  // ── operator and developer surface ────────────────────────────────────────────────────────
  /**
   * ABGATE_CORS_ORIGINS: browser origins allowed to POST outcomes (comma-separated, or `*`).
   * @default none (no CORS headers: browsers may not call the outcome endpoint cross-origin)
   */
  corsOrigins: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
    )
    .pipe(z.array(z.string().refine(isOrigin, 'each origin must be scheme://host[:port] (no path) or *')))
    .default([]),
  /** ABGATE_MODEL_V1_PORT: port of demo model v1 under `abgate start`. @default 9001 */
  modelV1Port: int(0, 65535).default(9001),
  /** ABGATE_MODEL_V2_PORT: port of demo model v2 under `abgate start`. @default 9002 */
  modelV2Port: int(0, 65535).default(9002),
});

export type Settings = z.output<typeof settingsSchema>;

/** Environment variable of each setting. */
export const SETTINGS_ENV: { readonly [K in keyof Settings]-?: string } = {
  port: 'PORT',
  host: 'ABGATE_HOST',
  experimentsDir: 'ABGATE_EXPERIMENTS',
  redisUrl: 'REDIS_URL',
  maxBodyBytes: 'ABGATE_MAX_BODY_BYTES',
  apiToken: 'ABGATE_API_TOKEN',
  outcomeBatchLimit: 'ABGATE_OUTCOME_BATCH_LIMIT',
  dedupWindowSeconds: 'ABGATE_DEDUP_WINDOW_S',
  replayWindowSeconds: 'ABGATE_REPLAY_WINDOW_S',
  queueLimit: 'ABGATE_QUEUE_LIMIT',
  journalDir: 'ABGATE_JOURNAL_DIR',
  streamMaxLen: 'ABGATE_STREAM_MAXLEN',
  logLevel: 'ABGATE_LOG_LEVEL',
  logSampleRate: 'ABGATE_LOG_SAMPLE_RATE',
  workers: 'ABGATE_WORKERS',
  shutdownTimeoutMs: 'ABGATE_SHUTDOWN_TIMEOUT_MS',
  redisCluster: 'ABGATE_REDIS_CLUSTER',
  corsOrigins: 'ABGATE_CORS_ORIGINS',
  modelV1Port: 'ABGATE_MODEL_V1_PORT',
  modelV2Port: 'ABGATE_MODEL_V2_PORT',
};

/**
 * Builds settings from the environment, then `overrides` (CLI flags) on top.
 * Empty environment variables count as unset. Throws ConfigError naming the variable.
 */
export function loadSettings(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<Record<keyof Settings, unknown>> = {},
): Settings {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(SETTINGS_ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) raw[key] = value;
  }
  const parsed = settingsSchema.safeParse(raw);
  if (parsed.success) {
    if (parsed.data.workers > 1 && parsed.data.redisUrl === undefined) {
      // Each worker would keep its own in-memory store: exposures in one, outcomes in another.
      throw new ConfigError([
        `${SETTINGS_ENV.workers}: more than one worker needs a shared store; set ${SETTINGS_ENV.redisUrl} (or --redis)`,
      ]);
    }
    return parsed.data;
  }
  throw new ConfigError(
    parsed.error.issues.map((i) => {
      const key = String(i.path[0]) as keyof Settings;
      const name = SETTINGS_ENV[key] ?? key;
      return `${name}: ${i.message}`;
    }),
  );
}
