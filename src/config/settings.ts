// Gateway settings: one schema, read from environment variables and overridden by CLI flags.
import { z } from 'zod';
import { ConfigError } from './config-error.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/** Shortest gateway token accepted: an empty or short token is a door left open. */
export const MIN_TOKEN_LENGTH = 16;

/** A gateway token (RFC 6750 bearer syntax), at least MIN_TOKEN_LENGTH characters; never echoed in errors. */
const bearerToken = z.string().superRefine((s, ctx) => {
  if (s.length < MIN_TOKEN_LENGTH) {
    ctx.addIssue({
      code: 'custom',
      message:
        s === ''
          ? `is set but empty; give a token of at least ${MIN_TOKEN_LENGTH} characters or unset the variable`
          : `is ${s.length} characters long; a token needs at least ${MIN_TOKEN_LENGTH}`,
    });
  } else if (!/^[A-Za-z0-9._~+/-]+=*$/.test(s)) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a bearer token: letters, digits and . _ ~ + / - (RFC 6750)',
    });
  }
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
  apiToken: bearerToken.optional(),
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

  // Request hardening and ingest authentication (issue 8).
  /**
   * ABGATE_INGEST_TOKEN: when set, POST /api/v1/outcomes and POST /api/v1/assign need
   * `Authorization: Bearer <token>`; also the token that allows forced arms (x-abgate-token).
   */
  ingestToken: bearerToken.optional(),
  /**
   * ABGATE_FORCE_ARM: who may pick an arm with x-abgate-force-arm. `always`: anyone; `token`: only
   * requests with `x-abgate-token: <ABGATE_INGEST_TOKEN>`; `never`: nobody; `auto`: `always` while no
   * gateway token is configured, `token` as soon as one is.
   * @default "auto"
   */
  forceArm: z.enum(['auto', 'always', 'token', 'never']).default('auto'),
  /**
   * ABGATE_REQUEST_TIMEOUT_MS: longest time to receive a whole request, headers and body (408 after);
   * generous for large model payloads on slow links. Headers alone get at most 30 s.
   * @default 120000 (2 min)
   */
  requestTimeoutMs: int(100, 3_600_000).default(120_000),
  /**
   * ABGATE_MAX_CONNECTIONS: most concurrent client connections per process; connections past it are
   * closed at once, so a flood cannot take the file descriptors the gateway needs for upstreams,
   * Redis and its journal. 0: no cap.
   * @default half the process's open-file limit (Linux), else no cap
   */
  maxConnections: int(0).optional(),
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
  ingestToken: 'ABGATE_INGEST_TOKEN',
  forceArm: 'ABGATE_FORCE_ARM',
  requestTimeoutMs: 'ABGATE_REQUEST_TIMEOUT_MS',
  maxConnections: 'ABGATE_MAX_CONNECTIONS',
};

/** Token settings: an empty variable is refused rather than read as unset (it would open the door). */
const TOKEN_SETTINGS: ReadonlySet<string> = new Set<keyof Settings>(['apiToken', 'ingestToken']);

/**
 * Builds settings from the environment, then `overrides` (CLI flags) on top.
 * Empty environment variables count as unset, except tokens (refused). Throws ConfigError naming the variable.
 */
export function loadSettings(
  env: Readonly<Record<string, string | undefined>>,
  overrides: Partial<Record<keyof Settings, unknown>> = {},
): Settings {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(SETTINGS_ENV)) {
    const value = env[name];
    if (value !== undefined && (value !== '' || TOKEN_SETTINGS.has(key))) raw[key] = value;
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
    if (parsed.data.forceArm === 'token' && parsed.data.ingestToken === undefined) {
      throw new ConfigError([
        `${SETTINGS_ENV.forceArm}: "token" needs ${SETTINGS_ENV.ingestToken}, the token QA requests send in x-abgate-token`,
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
