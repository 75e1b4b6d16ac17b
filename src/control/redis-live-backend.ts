// Live state in Redis, shared by every gateway and worker. All of live control's Redis access is here.
//
// Keys of one experiment share its hash tag (one Redis Cluster slot):
//   <prefix>:{<id>}:live     hash  version → n, state → JSON of the LiveState
//   <prefix>:{<id>}:history  stream, one `entry` field (JSON) per change, capped (MAXLEN ~)
// A change is a compare-and-set in one Lua script (version check, state write, history append), then a
// PUBLISH on the fixed channel <prefix>:live so every gateway re-reads that experiment. Gateways also
// compare versions periodically (see registry.ts), so a missed message heals.
import { Cluster, Redis } from 'ioredis';
import { closeQuietly, oneShotClient, parseClusterNodes } from '../store/redis/store-client.js';
import type { HistoryEntry, LiveState } from '../core/lifecycle.js';
import type { CasResult, ChangeListener, LiveStateBackend } from './live-backend.js';
import { decodeEntry, decodeState, encodeEntry, encodeState } from './live-state-codec.js';

/**
 * KEYS: live hash, history stream. ARGV: expected version (0: none stored), new version, state JSON,
 * entry JSON, history cap. Returns {1, new version} or {0, stored version}.
 */
const CAS_SCRIPT = `
local stored = tonumber(redis.call('HGET', KEYS[1], 'version')) or 0
if stored ~= tonumber(ARGV[1]) then return {0, stored} end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'state', ARGV[3])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'entry', ARGV[4])
return {1, tonumber(ARGV[2])}
`;

/**
 * The commands the backend sends. ioredis `Redis` and `Cluster` both provide them once the script is
 * registered with `defineCommand('abgateLiveCas', …)` (EVALSHA, falling back to EVAL on NOSCRIPT).
 */
export interface LiveRedisCommands {
  readonly status: string;
  hget(key: string, field: string): Promise<string | null>;
  xrange(key: string, start: string, end: string): Promise<[id: string, fields: string[]][]>;
  publish(channel: string, message: string): Promise<number>;
  abgateLiveCas(
    live: string,
    history: string,
    expected: number,
    version: number,
    state: string,
    entry: string,
    cap: number,
  ): Promise<[number, number]>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** A connection in subscriber mode (a dedicated one, as Redis requires). */
export interface LiveRedisSubscriber {
  subscribe(channel: string): Promise<unknown>;
  on(event: 'message', listener: (channel: string, message: string) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  quit(): Promise<unknown>;
  disconnect(): void;
}

export interface RedisLiveBackendOptions {
  readonly commands: LiveRedisCommands;
  readonly subscriber: LiveRedisSubscriber;
  /** First part of every key and of the channel name. @default "abgate" */
  readonly prefix?: string;
  /** Approximate cap of each experiment's history stream. @default 10000 */
  readonly historyLimit?: number;
  /** Called with errors that are not answered to a caller (a bad notification, a failed publish). */
  readonly onError?: (err: unknown) => void;
}

export class RedisLiveBackend implements LiveStateBackend {
  readonly kind = 'redis' as const;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly historyLimit: number;
  private subscribed: Promise<void> | undefined;

  constructor(private readonly options: RedisLiveBackendOptions) {
    this.prefix = options.prefix ?? 'abgate';
    this.channel = `${this.prefix}:live`;
    this.historyLimit = options.historyLimit ?? 10_000;
  }

  private liveKey(id: string): string {
    return `${this.prefix}:{${id}}:live`;
  }

  private historyKey(id: string): string {
    return `${this.prefix}:{${id}}:history`;
  }

  connected(): boolean {
    return this.options.commands.status === 'ready';
  }

  async read(experiment: string): Promise<LiveState | undefined> {
    const text = await this.options.commands.hget(this.liveKey(experiment), 'state');
    return text === null ? undefined : decodeState(text, experiment);
  }

  async readVersions(experiments: readonly string[]): Promise<Map<string, number>> {
    // One command per experiment (each in its own slot); ioredis writes them back to back.
    const versions = await Promise.all(
      experiments.map((id) => this.options.commands.hget(this.liveKey(id), 'version')),
    );
    return new Map(experiments.map((id, i) => [id, Number(versions[i] ?? 0) || 0]));
  }

  async compareAndSet(
    experiment: string,
    expectedVersion: number,
    next: LiveState,
    entry: HistoryEntry,
  ): Promise<CasResult> {
    const [ok, version] = await this.options.commands.abgateLiveCas(
      this.liveKey(experiment),
      this.historyKey(experiment),
      expectedVersion,
      next.version,
      encodeState(next),
      encodeEntry(entry),
      this.historyLimit,
    );
    if (ok !== 1) return { ok: false, version: Number(version) };
    // The write is done; a lost message is healed by the periodic version check.
    this.options.commands
      .publish(this.channel, JSON.stringify({ experiment, version: next.version }))
      .catch((err: unknown) => this.options.onError?.(err));
    return { ok: true };
  }

  async history(experiment: string): Promise<HistoryEntry[]> {
    const rows = await this.options.commands.xrange(this.historyKey(experiment), '-', '+');
    return rows.map(([, fields]) => {
      const at = fields.indexOf('entry');
      return decodeEntry(at === -1 ? '' : (fields[at + 1] ?? ''), experiment);
    });
  }

  subscribe(listener: ChangeListener, onReconnect?: () => void): Promise<void> {
    const sub = this.options.subscriber;
    sub.on('message', (channel, message) => {
      if (channel !== this.channel) return;
      try {
        const m = JSON.parse(message) as { experiment?: unknown; version?: unknown };
        if (typeof m.experiment === 'string' && typeof m.version === 'number')
          listener(m.experiment, m.version);
      } catch (err) {
        this.options.onError?.(err);
      }
    });
    // ioredis resubscribes after a reconnect; messages sent meanwhile are lost, so check versions.
    if (onReconnect) sub.on('ready', onReconnect);
    this.subscribed ??= sub.subscribe(this.channel).then(() => undefined);
    return this.subscribed;
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.options.commands, this.options.subscriber].map(async (c) => {
        try {
          await c.quit();
        } catch {
          c.disconnect();
        }
      }),
    );
  }
}

export interface RedisLiveBackendSettings {
  /** redis:// or rediss:// URL of a single Redis; ignored with `clusterNodes`. */
  readonly url?: string | undefined;
  /** Redis Cluster seed nodes, `host:port,host:port,…` (ABGATE_REDIS_CLUSTER); wins over `url`. */
  readonly clusterNodes?: string | undefined;
  /** @default "abgate" */
  readonly prefix?: string;
  /** @default 10000 */
  readonly historyLimit?: number;
  /** Longest wait for one command (reads, the compare-and-set). @default 2000 */
  readonly commandTimeoutMs?: number;
  readonly onError?: (err: unknown) => void;
}

/**
 * A backend on two ioredis clients of `url` or of the cluster (commands, and the subscriber). Commands
 * wait for a connection at most `commandTimeoutMs`, so a gateway starts (from its files) when Redis is down.
 * On a cluster, PUBLISH reaches the subscribers of every node, so the subscriber may sit on any of them.
 */
export function createRedisLiveBackend(settings: RedisLiveBackendSettings): RedisLiveBackend {
  const commandTimeout = settings.commandTimeoutMs ?? 2000;
  const retry = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 16), 2000);
  let client: Redis | Cluster;
  let subscriber: Redis | Cluster;
  if (settings.clusterNodes) {
    const nodes = parseClusterNodes(settings.clusterNodes);
    const cluster = (timeout: number | undefined) =>
      new Cluster(nodes, {
        clusterRetryStrategy: retry,
        redisOptions: {
          maxRetriesPerRequest: 1,
          ...(timeout === undefined ? {} : { commandTimeout: timeout }),
        },
      });
    client = cluster(commandTimeout);
    subscriber = cluster(undefined);
  } else {
    client = new Redis(settings.url ?? 'redis://127.0.0.1:6379', {
      maxRetriesPerRequest: 1,
      commandTimeout,
      retryStrategy: retry,
    });
    subscriber = client.duplicate({ commandTimeout: undefined });
  }
  client.defineCommand('abgateLiveCas', { numberOfKeys: 2, lua: CAS_SCRIPT });
  const onError = settings.onError ?? (() => {});
  client.on('error', onError);
  subscriber.on('error', onError);
  return new RedisLiveBackend({
    commands: client as unknown as LiveRedisCommands,
    subscriber: subscriber as unknown as LiveRedisSubscriber,
    ...(settings.prefix !== undefined ? { prefix: settings.prefix } : {}),
    ...(settings.historyLimit !== undefined ? { historyLimit: settings.historyLimit } : {}),
    onError,
  });
}

/**
 * Reads one experiment's live state from the Redis at `url` (or the cluster of `clusterNodes`) and
 * disconnects (for the CLI): one connection attempt, no subscription, nothing written. Undefined when
 * none is stored.
 */
export async function readLiveStateFrom(
  url: string | undefined,
  experiment: string,
  options: { prefix?: string; timeoutMs?: number; clusterNodes?: string | undefined } = {},
): Promise<LiveState | undefined> {
  const client = oneShotClient(url, options);
  try {
    await client.connect();
    const text = await client.hget(`${options.prefix ?? 'abgate'}:{${experiment}}:live`, 'state');
    return text === null ? undefined : decodeState(text, experiment);
  } finally {
    await closeQuietly(client);
  }
}
