// Options of RedisEventStore. Those that are gateway settings default to the settings table
// (SETTING_DEFAULTS); the rest are tuning seams for tests, with their defaults here.
import { SETTING_DEFAULTS as D } from '../../config/settings.js';
import type { JournalFs } from '../journal/journal-fs.js';
import type { StoreRedis } from './store-client.js';

export interface RedisEventStoreOptions {
  /** The journal slot folder; this process must be its only writer (see journal/dir-lock.ts). */
  journalDir: string;
  /** A single Redis; ignored with `clusterNodes` or `client`. @default "redis://127.0.0.1:6379" */
  url?: string | undefined;
  /** Redis Cluster seed nodes, host:port. */
  clusterNodes?: readonly string[] | undefined;
  /** A client to use instead of connecting; the store does not quit it. It should fail fast while disconnected. */
  client?: StoreRedis;
  /** First part of every key. @default "abgate" */
  keyPrefix?: string;
  /** How long an event_id is remembered (the dedup window), seconds. @default 86400 */
  dedupWindowSeconds?: number;
  /** How long an outcome without an exposure is held for one, ms. @default 300000 */
  attributionGraceMs?: number;
  /** Newest events kept in memory for sending; older ones are read back from the journal. @default 100000 */
  queueLimit?: number;
  /** Approximate cap of each experiment's raw event stream; 0 turns it off. @default 1000000 */
  streamMaxLen?: number;
  /** Most events sent in one batch. @default 1000 */
  batchSize?: number;
  /** Longest wait of recordOutcomes for Redis to answer, before answering 'queued' from the journal. @default 2000 */
  outcomeWaitMs?: number;
  /** Longest wait of recordOutcomes for the journal fsync when Redis did not answer. @default 5000 */
  durableWaitMs?: number;
  /** A command not answered within this fails (and the client reconnects). @default 1000 */
  commandTimeoutMs?: number;
  /** PING period while idle, to notice a server that stopped answering; 0 turns it off. @default 1000 */
  healthCheckIntervalMs?: number;
  /** Longest wait between reconnection attempts. @default 2000 */
  reconnectMaxDelayMs?: number;
  /** Longest wait of close() for Redis to take what is queued (the rest stays journaled). @default 5000 */
  closeTimeoutMs?: number;
  /** Attempts of an event whose own data Redis refuses before it is given up. @default 3 */
  maxAttempts?: number;
  /** Replicas that must confirm a batch (WAIT) before the journal forgets it; 0: the primary's answer. @default 0 */
  waitReplicas?: number;
  /** Longest WAIT for those replicas, ms; below commandTimeoutMs, so the command does not time out first. @default commandTimeoutMs / 2 */
  waitTimeoutMs?: number;
  /** Group-commit period of the journal, ms. @default 20 */
  fsyncIntervalMs?: number;
  /** Repeat exposures skipped per process (experiment, phase, user entries). @default 100000 */
  exposureCacheSize?: number;
  /** How often held outcomes past their grace are turned unattributed, ms. @default 1000 */
  sweepIntervalMs?: number;
  /** The gateway's clock (ms): days of the daily values, the grace of held outcomes. @default Date.now */
  now?: () => number;
  /** File system seam of the journal, for tests. */
  journalFs?: JournalFs;
  /** Told about every error (Redis, journal); the store carries on. @default ignore */
  onError?: (error: Error) => void;
  /** Told when the connection becomes usable (true) or is lost (false). @default ignore */
  onStateChange?: (connected: boolean) => void;
}

export type ResolvedOptions = Required<
  Omit<RedisEventStoreOptions, 'client' | 'journalFs' | 'url' | 'clusterNodes'>
> &
  Pick<RedisEventStoreOptions, 'client' | 'journalFs' | 'url' | 'clusterNodes'>;

function int(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min)
    throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

export function resolveOptions(o: RedisEventStoreOptions): ResolvedOptions {
  const commandTimeoutMs = int('commandTimeoutMs', o.commandTimeoutMs ?? 1000);
  const waitReplicas = int('waitReplicas', o.waitReplicas ?? D.redisWaitReplicas, 0);
  const waitTimeoutMs = int(
    'waitTimeoutMs',
    o.waitTimeoutMs ?? Math.max(1, Math.floor(commandTimeoutMs / 2)),
  );
  if (waitReplicas > 0 && waitTimeoutMs >= commandTimeoutMs) {
    // WAIT blocks the connection: a WAIT as long as the command timeout would time out instead of answering.
    throw new RangeError(
      `waitTimeoutMs (${waitTimeoutMs}) must be below commandTimeoutMs (${commandTimeoutMs}) when waitReplicas > 0`,
    );
  }
  return {
    journalDir: o.journalDir,
    url: o.url,
    clusterNodes: o.clusterNodes,
    client: o.client,
    journalFs: o.journalFs,
    keyPrefix: o.keyPrefix ?? 'abgate',
    dedupWindowSeconds: int('dedupWindowSeconds', o.dedupWindowSeconds ?? D.dedupWindowSeconds),
    attributionGraceMs: int(
      'attributionGraceMs',
      o.attributionGraceMs ?? D.attributionGraceSeconds * 1000,
      0,
    ),
    queueLimit: int('queueLimit', o.queueLimit ?? D.queueLimit),
    streamMaxLen: int('streamMaxLen', o.streamMaxLen ?? D.streamMaxLen, 0),
    batchSize: int('batchSize', o.batchSize ?? 1000),
    outcomeWaitMs: int('outcomeWaitMs', o.outcomeWaitMs ?? 2000, 0),
    durableWaitMs: int('durableWaitMs', o.durableWaitMs ?? 5000, 0),
    commandTimeoutMs,
    healthCheckIntervalMs: int('healthCheckIntervalMs', o.healthCheckIntervalMs ?? 1000, 0),
    reconnectMaxDelayMs: int('reconnectMaxDelayMs', o.reconnectMaxDelayMs ?? 2000),
    closeTimeoutMs: int('closeTimeoutMs', o.closeTimeoutMs ?? 5000, 0),
    maxAttempts: int('maxAttempts', o.maxAttempts ?? 3),
    waitReplicas,
    waitTimeoutMs,
    fsyncIntervalMs: int('fsyncIntervalMs', o.fsyncIntervalMs ?? D.journalFsyncMs),
    exposureCacheSize: int('exposureCacheSize', o.exposureCacheSize ?? 100_000, 0),
    sweepIntervalMs: int('sweepIntervalMs', o.sweepIntervalMs ?? 1000),
    now: o.now ?? Date.now,
    onError: o.onError ?? (() => {}),
    onStateChange: o.onStateChange ?? (() => {}),
  };
}
