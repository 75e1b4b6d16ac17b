// Canary lease and progress in Redis, shared by every gateway. Keys of one experiment carry its hash
// tag, so the store works on a single Redis and on a Redis Cluster alike:
//   <prefix>:{<id>}:rollout:lease   string: the driver's name, with a PX expiry
//   <prefix>:{<id>}:rollout:state   string: JSON of the RolloutProgress
// Taking the lease is SET NX PX; renewing it compares the holder first (a script), so a driver whose
// lease expired and was taken by another can never extend or overwrite the new holder's.
import { Cluster, Redis } from 'ioredis';
import { parseClusterNodes } from '../store/redis/store-client.js';
import type { RolloutProgress } from '../core/rollout.js';
import { decodeProgress, type RolloutStore } from './rollout-store.js';

/** KEYS: lease. ARGV: owner, ttl ms. 1 when `owner` holds the lease afterwards. */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** KEYS: lease. ARGV: owner. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/** KEYS: lease, state. ARGV: owner, state JSON. Writes only for the lease holder. */
const WRITE_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1
`;

/** What the store sends; ioredis `Redis` and `Cluster` both provide it once the scripts are defined. */
export interface RolloutRedisCommands {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<'OK' | null>;
  abgateRolloutRenew(lease: string, owner: string, ttlMs: number): Promise<number>;
  abgateRolloutRelease(lease: string, owner: string): Promise<number>;
  abgateRolloutWrite(lease: string, state: string, owner: string, json: string): Promise<number>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** Registers the store's scripts on an ioredis `Redis` or `Cluster`. */
export function defineRolloutCommands(client: Pick<Redis | Cluster, 'defineCommand'>): void {
  client.defineCommand('abgateRolloutRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
  client.defineCommand('abgateRolloutRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  client.defineCommand('abgateRolloutWrite', { numberOfKeys: 2, lua: WRITE_SCRIPT });
}

export class RedisRolloutStore implements RolloutStore {
  readonly kind = 'redis' as const;
  private readonly prefix: string;

  constructor(
    private readonly commands: RolloutRedisCommands,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? 'abgate';
  }

  private leaseKey(id: string): string {
    return `${this.prefix}:{${id}}:rollout:lease`;
  }

  private stateKey(id: string): string {
    return `${this.prefix}:{${id}}:rollout:state`;
  }

  async acquire(experiment: string, owner: string, ttlMs: number): Promise<boolean> {
    const key = this.leaseKey(experiment);
    if ((await this.commands.set(key, owner, 'PX', ttlMs, 'NX')) === 'OK') return true;
    return (await this.commands.abgateRolloutRenew(key, owner, ttlMs)) === 1;
  }

  async release(experiment: string, owner: string): Promise<void> {
    await this.commands.abgateRolloutRelease(this.leaseKey(experiment), owner);
  }

  holder(experiment: string): Promise<string | null> {
    return this.commands.get(this.leaseKey(experiment));
  }

  async read(experiment: string): Promise<RolloutProgress | undefined> {
    return decodeProgress(await this.commands.get(this.stateKey(experiment)));
  }

  async write(experiment: string, owner: string, progress: RolloutProgress): Promise<boolean> {
    const written = await this.commands.abgateRolloutWrite(
      this.leaseKey(experiment),
      this.stateKey(experiment),
      owner,
      JSON.stringify(progress),
    );
    return written === 1;
  }

  async close(): Promise<void> {
    try {
      await this.commands.quit();
    } catch {
      this.commands.disconnect();
    }
  }
}

/** A store on its own ioredis client of the live state's Redis: `url`, or the cluster of `clusterNodes`. */
export function createRedisRolloutStore(settings: {
  url?: string | undefined;
  /** Redis Cluster seed nodes, `host:port,…` (ABGATE_REDIS_CLUSTER); wins over `url`. */
  clusterNodes?: string | undefined;
  prefix?: string;
  onError?: (err: unknown) => void;
}): RedisRolloutStore {
  const retry = (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 16), 2000);
  const options = { maxRetriesPerRequest: 1, commandTimeout: 2000 };
  const client = settings.clusterNodes
    ? new Cluster(parseClusterNodes(settings.clusterNodes), {
        clusterRetryStrategy: retry,
        redisOptions: options,
      })
    : new Redis(settings.url ?? 'redis://127.0.0.1:6379', { ...options, retryStrategy: retry });
  defineRolloutCommands(client);
  client.on('error', settings.onError ?? (() => {}));
  return new RedisRolloutStore(client as unknown as RolloutRedisCommands, {
    ...(settings.prefix !== undefined ? { prefix: settings.prefix } : {}),
  });
}
