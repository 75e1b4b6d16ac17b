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

/** A token that may change experiments live, and the name the history records for its holder. */
export interface AdminToken {
  /** Empty: the label is `adminTokenLabel`. */
  readonly label: string;
  readonly token: string;
}

const TOKEN_CHARS = /^[A-Za-z0-9._~+/-]+=*$/;
const TOKEN_LABEL = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
/** Shortest admin token accepted: a guessable token would hand out control of live traffic. */
export const MIN_ADMIN_TOKEN_LENGTH = MIN_TOKEN_LENGTH;

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
 * The tokens of an ABGATE_ADMIN_TOKEN value, read as the gateway reads it (so a CLI given the gateway's
 * value sends a token, not `label:token`); empty when the value is not valid.
 */
export function parseAdminTokens(raw: string): AdminToken[] {
  const parsed = adminTokens.safeParse(raw);
  return parsed.success ? parsed.data : [];
}

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
  apiToken: bearerToken.optional(),
  /** ABGATE_OUTCOME_BATCH_LIMIT: most events in one POST /api/v1/outcomes. @default 1000 */
  outcomeBatchLimit: int(1, 100_000).default(1000),
  /** ABGATE_DEDUP_WINDOW_S: how long an event_id is remembered. @default 86400 (24 h) */
  dedupWindowSeconds: int(1).default(86_400),
  /**
   * ABGATE_ATTRIBUTION_GRACE_S: how long an outcome whose user has no recorded exposure yet is held in the
   * store for it (another gateway or worker may still be writing it, e.g. after an outage) before it is
   * counted as unattributed. @default 300
   */
  attributionGraceSeconds: int(0, 86_400).default(300),
  /**
   * ABGATE_QUEUE_LIMIT: most unsent events also held in memory (every event is in the journal first);
   * past that, later ones are read back from the journal in order. @default 100000
   */
  queueLimit: int(1).default(100_000),
  /**
   * ABGATE_JOURNAL_DIR: the write-ahead journal of events not yet in Redis (one `slot-N` folder per
   * worker; one gateway per folder, enforced by a pid lock). @default "./data/journal"
   */
  journalDir: z.string().min(1).default('./data/journal'),
  /**
   * ABGATE_JOURNAL_FSYNC_MS: longest time an exposure's journal line waits for an fsync (group commit);
   * outcomes answered `queued` are always fsynced first. @default 20
   */
  journalFsyncMs: int(1, 10_000).default(20),
  /** ABGATE_REDIS_CLUSTER: Redis Cluster seed nodes, `host:port,host:port,…`; wins over REDIS_URL. */
  redisCluster: z
    .string()
    .regex(
      /^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/,
      'must be host:port seed nodes separated by commas',
    )
    .optional(),
  /**
   * ABGATE_REDIS_WAIT_REPLICAS: replicas that must confirm a batch (Redis WAIT) before the journal forgets
   * it, so a failover never loses acknowledged events; 0 trusts the primary's answer. @default 0
   */
  redisWaitReplicas: int(0, 16).default(0),
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
  // ── guardrails, canary rollouts and shadow arms (issue 11) ──
  /**
   * ABGATE_GUARDRAIL_FLUSH_MS: how often the gateway writes its per-user guardrail measurements
   * (abgate_errors, abgate_latency_ms) to the store; each user costs one event per flush, not one per
   * request. Also flushed early past 10,000 pending users, and on shutdown. @default 5000
   */
  guardrailFlushMs: int(10, 600_000).default(5000),
  /**
   * ABGATE_GUARDRAIL_SAMPLE_PERCENT: the share of users (0-100, by a hash of the user id: the same users
   * every time, both arms alike) whose guardrail measurements are recorded. Lower it to trade guardrail
   * power for store work: each measured user costs the store one event per flush. @default 100
   */
  guardrailSamplePercent: z.coerce.number().min(0).max(100).default(100),
  /**
   * ABGATE_ROLLOUT_LEASE_MS: lifetime of the lease that lets one gateway drive an experiment's canary;
   * the holder renews it every third of it, and a dead driver is replaced after at most this long.
   * Keep it at or below the shortest step_interval. @default 10000
   */
  rolloutLeaseMs: int(300, 600_000).default(10_000),
  /**
   * ABGATE_SHADOW_CONCURRENCY: most copies of requests in flight to shadow arms per process; copies
   * past it are dropped (and counted in abgate_shadow_dropped_total). @default 64
   */
  shadowConcurrency: int(1, 100_000).default(64),
  /**
   * ABGATE_SHADOW_COMPARE_RATE: share of shadow answers whose body is compared byte for byte with the
   * served one (abgate_shadow_compared_total{result="match"|"mismatch"}). @default 0.01
   */
  shadowCompareRate: z.coerce.number().min(0).max(1).default(0.01),
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

/** Every setting's default: the one table other modules' defaults derive from (e.g. the stores'). */
export const SETTING_DEFAULTS: Readonly<Settings> = settingsSchema.parse({});

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
  attributionGraceSeconds: 'ABGATE_ATTRIBUTION_GRACE_S',
  queueLimit: 'ABGATE_QUEUE_LIMIT',
  journalDir: 'ABGATE_JOURNAL_DIR',
  journalFsyncMs: 'ABGATE_JOURNAL_FSYNC_MS',
  redisCluster: 'ABGATE_REDIS_CLUSTER',
  redisWaitReplicas: 'ABGATE_REDIS_WAIT_REPLICAS',
  streamMaxLen: 'ABGATE_STREAM_MAXLEN',
  logLevel: 'ABGATE_LOG_LEVEL',
  logSampleRate: 'ABGATE_LOG_SAMPLE_RATE',
  workers: 'ABGATE_WORKERS',
  shutdownTimeoutMs: 'ABGATE_SHUTDOWN_TIMEOUT_MS',
  ingestToken: 'ABGATE_INGEST_TOKEN',
  forceArm: 'ABGATE_FORCE_ARM',
  requestTimeoutMs: 'ABGATE_REQUEST_TIMEOUT_MS',
  maxConnections: 'ABGATE_MAX_CONNECTIONS',
  adminToken: 'ABGATE_ADMIN_TOKEN',
  adminTokenLabel: 'ABGATE_ADMIN_TOKEN_LABEL',
  liveCheckIntervalMs: 'ABGATE_LIVE_CHECK_MS',
  guardrailFlushMs: 'ABGATE_GUARDRAIL_FLUSH_MS',
  guardrailSamplePercent: 'ABGATE_GUARDRAIL_SAMPLE_PERCENT',
  rolloutLeaseMs: 'ABGATE_ROLLOUT_LEASE_MS',
  shadowConcurrency: 'ABGATE_SHADOW_CONCURRENCY',
  shadowCompareRate: 'ABGATE_SHADOW_COMPARE_RATE',
  corsOrigins: 'ABGATE_CORS_ORIGINS',
  modelV1Port: 'ABGATE_MODEL_V1_PORT',
  modelV2Port: 'ABGATE_MODEL_V2_PORT',
};

/** Token settings: an empty variable is refused rather than read as unset (it would open the door). */
const TOKEN_SETTINGS: ReadonlySet<string> = new Set<keyof Settings>([
  'apiToken',
  'ingestToken',
  'adminToken',
]);

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
    if (
      parsed.data.workers > 1 &&
      parsed.data.redisUrl === undefined &&
      parsed.data.redisCluster === undefined
    ) {
      // Each worker would keep its own in-memory store: exposures in one, outcomes in another.
      throw new ConfigError([
        `${SETTINGS_ENV.workers}: more than one worker needs a shared store; set ${SETTINGS_ENV.redisUrl} (or --redis) or ${SETTINGS_ENV.redisCluster}`,
      ]);
    }
    if (
      parsed.data.forceArm === 'token' &&
      parsed.data.ingestToken === undefined &&
      parsed.data.adminToken === undefined
    ) {
      throw new ConfigError([
        `${SETTINGS_ENV.forceArm}: "token" needs ${SETTINGS_ENV.ingestToken} or ${SETTINGS_ENV.adminToken}, the token QA requests send in x-abgate-token`,
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
