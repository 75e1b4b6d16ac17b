// Gateway settings: one schema, read from environment variables and overridden by CLI flags.
import { z } from 'zod';
import { ConfigError } from './config-error.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/** A token that may change experiments live, and the name the history records for its holder. */
export interface AdminToken {
  /** Empty: the label is `adminTokenLabel`. */
  readonly label: string;
  readonly token: string;
}

const TOKEN_CHARS = /^[A-Za-z0-9._~+/-]+=*$/;
const TOKEN_LABEL = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Shortest admin token accepted: a guessable token would hand out control of live traffic. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** `token` or `label:token`, comma-separated (several tokens: one per operator or tool, or a rotation). */
const adminTokens = z.string().transform((raw, ctx): AdminToken[] => {
  const tokens: AdminToken[] = [];
  const parts = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  parts.forEach((part, i) => {
    const colon = part.indexOf(':');
    const label = colon === -1 ? '' : part.slice(0, colon);
    const token = colon === -1 ? part : part.slice(colon + 1);
    const where = parts.length > 1 ? `token ${i + 1}: ` : '';
    if (colon !== -1 && !TOKEN_LABEL.test(label)) {
      ctx.addIssue({
        code: 'custom',
        message: `${where}label must be letters, digits, . _ @ - (at most 64)`,
      });
    } else if (!TOKEN_CHARS.test(token)) {
      ctx.addIssue({
        code: 'custom',
        message: `${where}must be a bearer token: letters, digits and . _ ~ + / - (RFC 6750)`,
      });
    } else if (token.length < MIN_ADMIN_TOKEN_LENGTH) {
      ctx.addIssue({
        code: 'custom',
        message: `${where}must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 24)`,
      });
    } else {
      tokens.push({ label, token });
    }
  });
  if (parts.length === 0) ctx.addIssue({ code: 'custom', message: 'names no token' });
  return tokens;
});

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

  // ── live experiment control ──
  /**
   * ABGATE_ADMIN_TOKEN: bearer token(s) that may change experiments live (PATCH), comma-separated,
   * each `token` or `label:token` (at least 16 characters). Unset: changes are accepted from loopback
   * clients only. Admin tokens also read everything the API token reads.
   */
  adminToken: adminTokens.optional(),
  /** ABGATE_ADMIN_TOKEN_LABEL: the actor the history names for an admin token without a label. @default "admin" */
  adminTokenLabel: z
    .string()
    .regex(TOKEN_LABEL, 'must be letters, digits, . _ @ - (at most 64)')
    .default('admin'),
  /**
   * ABGATE_LIVE_CHECK_MS: how often each gateway compares experiment versions with the live state store,
   * healing a missed change notification; 0 turns the check off. @default 1000
   */
  liveCheckIntervalMs: int(0, 3_600_000).default(1000),
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
  adminToken: 'ABGATE_ADMIN_TOKEN',
  adminTokenLabel: 'ABGATE_ADMIN_TOKEN_LABEL',
  liveCheckIntervalMs: 'ABGATE_LIVE_CHECK_MS',
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
