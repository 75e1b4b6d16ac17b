// Options of RedisEventStore, with their defaults.
import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { isValidInstanceId } from '../journal/journal-names.js';
import { DEFAULT_REPLAY_WINDOW_SECONDS } from './batch-commands.js';
import type { RedisClientLike } from './redis-client.js';

export interface RedisEventStoreOptions {
  /** Redis to connect to; ignored when `client` is given. @default "redis://127.0.0.1:6379" */
  url?: string;
  /**
   * A client to use instead of connecting to `url`; the store does not quit it on close. It should fail
   * fast while disconnected (see createRedisClient) so events stay in the store's queue.
   */
  client?: RedisClientLike;
  /** First part of every key. @default "abgate" */
  keyPrefix?: string;
  /** How long an event_id is remembered (the user-facing dedup window), seconds. @default 86400 */
  dedupWindowSeconds?: number;
  /**
   * How long the delivery marker of each enqueued outcome lives, seconds: the marker makes a re-send of a
   * delivery that may already be applied (lost reply, restart, journal claim) change nothing. It is
   * independent of dedupWindowSeconds, and costs one small key per outcome for this long, so it is kept
   * to hours. Bound: an outcome first sent more than (about) this long ago is never re-sent: it is given
   * up and counted in `failedEvents` (that takes an in-flight batch AND an outage longer than the window).
   * Outcomes never sent, however old in the journal, carry no such risk and are always written.
   * @default 21600 (6 h)
   */
  replayWindowSeconds?: number;
  /** Events held in memory while Redis is away before they spill to the journal. @default 100000 */
  queueLimit?: number;
  /** Folder of the on-disk journal of unsent events. @default "./data/journal" */
  journalDir?: string;
  /** Names this instance's journal files ([A-Za-z0-9_.-]). @default "<host>-<pid>-<random>" */
  instanceId?: string;
  /** Approximate cap of each experiment's raw event stream; 0 turns the stream off. @default 1000000 */
  streamMaxLen?: number;
  /** Most events written in one pipeline. @default 1000 */
  batchSize?: number;
  /** Longest wait of recordOutcomes for its batch before answering 'queued'. @default 2000 */
  outcomeWaitMs?: number;
  /** A command or pipeline not answered within this means the server is lost: reconnect. @default 1000 */
  commandTimeoutMs?: number;
  /** PING period while idle, to notice a server that stopped answering; 0 turns it off. @default 1000 */
  healthCheckIntervalMs?: number;
  /** Longest wait between reconnection attempts (own client only). @default 2000 */
  reconnectMaxDelayMs?: number;
  /** Longest wait of close() for the queue to drain before journaling the rest. @default 5000 */
  closeTimeoutMs?: number;
  /**
   * Attempts of an event whose own data Redis keeps rejecting (WRONGTYPE, a non-finite value…) before it
   * is given up. Other failures (MISCONF, NOPERM, READONLY, BUSY, OOM…, or a lost connection) are
   * server conditions: they are retried without limit, with backoff. @default 3
   */
  maxAttempts?: number;
  /** Clock (ms since epoch), for journal names and liveness. @default Date.now */
  now?: () => number;
  /** Ids of enqueued outcomes (internal dedup ids of outcomes without event_id). @default crypto.randomUUID */
  idGenerator?: () => string;
  /** Told about every error (Redis, journal); the store carries on. @default ignore */
  onError?: (error: Error) => void;
}

export type ResolvedRedisEventStoreOptions = Required<Omit<RedisEventStoreOptions, 'client'>> &
  Pick<RedisEventStoreOptions, 'client'>;

function positiveInt(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

function defaultInstanceId(): string {
  return `${hostname()
    .replace(/[^A-Za-z0-9_.-]/g, '_')
    .slice(0, 60)}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export function resolveRedisEventStoreOptions(o: RedisEventStoreOptions): ResolvedRedisEventStoreOptions {
  const instanceId = o.instanceId ?? defaultInstanceId();
  if (!isValidInstanceId(instanceId)) {
    throw new RangeError(`instanceId must match [A-Za-z0-9_.-]{1,100}, got ${JSON.stringify(instanceId)}`);
  }
  return {
    url: o.url ?? 'redis://127.0.0.1:6379',
    client: o.client,
    keyPrefix: o.keyPrefix ?? 'abgate',
    dedupWindowSeconds: positiveInt('dedupWindowSeconds', o.dedupWindowSeconds ?? 86_400),
    replayWindowSeconds: positiveInt(
      'replayWindowSeconds',
      o.replayWindowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS,
    ),
    queueLimit: positiveInt('queueLimit', o.queueLimit ?? 100_000),
    journalDir: o.journalDir ?? './data/journal',
    instanceId,
    streamMaxLen: positiveInt('streamMaxLen', o.streamMaxLen ?? 1_000_000, 0),
    batchSize: positiveInt('batchSize', o.batchSize ?? 1000),
    outcomeWaitMs: positiveInt('outcomeWaitMs', o.outcomeWaitMs ?? 2000, 0),
    commandTimeoutMs: positiveInt('commandTimeoutMs', o.commandTimeoutMs ?? 1000),
    healthCheckIntervalMs: positiveInt('healthCheckIntervalMs', o.healthCheckIntervalMs ?? 1000, 0),
    reconnectMaxDelayMs: positiveInt('reconnectMaxDelayMs', o.reconnectMaxDelayMs ?? 2000),
    closeTimeoutMs: positiveInt('closeTimeoutMs', o.closeTimeoutMs ?? 5000, 0),
    maxAttempts: positiveInt('maxAttempts', o.maxAttempts ?? 3),
    now: o.now ?? Date.now,
    idGenerator: o.idGenerator ?? randomUUID,
    onError: o.onError ?? (() => {}),
  };
}
