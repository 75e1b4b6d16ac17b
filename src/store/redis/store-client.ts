// The Redis client of the store: one Redis (REDIS_URL) or a Redis Cluster (seed nodes), with the Lua
// scripts registered through ioredis (EVALSHA, EVAL on NOSCRIPT) and its command timeout. Commands fail
// fast while disconnected: the journal, not the client, holds what is not written yet.
import { readFileSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';

export type RedisArg = string | number;

/** One reply of a pipeline: an error, or the command's result. */
export type PipelineReply = [error: Error | null, result: unknown];

// The scripts take a variable number of keys, every key a call may touch (see lua/apply.lua): call them
// as abgateApply(numberOfKeys, ...keys, ...args), e.g. with scriptArgs(keys, args).
export interface StorePipeline {
  abgateApply(numberOfKeys: number, ...keysAndArgs: RedisArg[]): StorePipeline;
  call(command: string, ...args: RedisArg[]): StorePipeline;
  exec(): Promise<PipelineReply[] | null>;
}

/** The slice of an ioredis client (Redis or Cluster) the store uses. */
export interface StoreRedis {
  /** 'ready' when commands can be sent. */
  readonly status: string;
  abgateApply(numberOfKeys: number, ...keysAndArgs: RedisArg[]): Promise<unknown>;
  abgateSweep(numberOfKeys: number, ...keysAndArgs: RedisArg[]): Promise<unknown>;
  pipeline(): StorePipeline;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  hgetall(key: string): Promise<Record<string, string>>;
  hlen(key: string): Promise<number>;
  ping(): Promise<unknown>;
  /** '+node': a Redis Cluster connected to a new node (a replica promoted, a node added). */
  on(event: 'ready' | 'close' | 'error' | 'end' | '+node', listener: (...args: unknown[]) => void): unknown;
  /** With `reconnect`, drops the connection(s) and dials again. */
  disconnect(reconnect?: boolean): void;
  quit(): Promise<unknown>;
}

export interface StoreClientSettings {
  /** redis:// or rediss:// URL of a single Redis. */
  readonly url?: string | undefined;
  /** Seed nodes of a Redis Cluster, host:port each; wins over `url`. */
  readonly clusterNodes?: readonly string[] | undefined;
  /** A command not answered within this fails (and the store reconnects). @default 1000 */
  readonly commandTimeoutMs?: number;
  /** Longest wait between reconnection attempts. @default 2000 */
  readonly reconnectMaxDelayMs?: number;
  /** Longest TCP connect. @default 5000 */
  readonly connectTimeoutMs?: number;
}

function lua(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
}

/** Registers the store's scripts on a client (Redis or Cluster); each call passes its number of keys. */
export function defineStoreCommands(client: Redis | Cluster): void {
  client.defineCommand('abgateApply', { lua: lua('apply') });
  client.defineCommand('abgateSweep', { lua: lua('sweep') });
}

/** The arguments of a script call: number of keys, keys, then the other arguments. */
export function scriptArgs(
  keys: readonly string[],
  args: readonly RedisArg[],
): [numberOfKeys: number, ...keysAndArgs: RedisArg[]] {
  return [keys.length, ...keys, ...args];
}

/**
 * ioredis's auto-pipelining groups a Cluster's commands by the slot of their first argument, which for
 * these scripts is the number of keys: they are sent on their own (each still routed by its keys).
 */
const SCRIPT_COMMANDS = ['abgateApply', 'abgateSweep'];

/** Parses "host:port,host:port" seed nodes. */
export function parseClusterNodes(spec: string): { host: string; port: number }[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((node) => {
      const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(node);
      if (!m) throw new Error(`"${node}" is not host:port`);
      return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
    });
}

/**
 * A client for a one-off look (the CLI): a single connection attempt (a CLI reports a failure rather
 * than wait), no offline queue, no retries; failures surface as rejections of connect() and the commands.
 * Call connect(), then quit() when done.
 */
export function oneShotClient(
  url: string | undefined,
  options: { timeoutMs?: number; clusterNodes?: string | undefined } = {},
): Redis | Cluster {
  const timeoutMs = options.timeoutMs ?? 5000;
  const base = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  };
  const client = options.clusterNodes
    ? new Cluster(parseClusterNodes(options.clusterNodes), {
        lazyConnect: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: () => null,
        redisOptions: base,
      })
    : new Redis(url ?? 'redis://127.0.0.1:6379', { ...base, lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => {});
  return client;
}

/** quit(), or disconnect() when quitting fails. */
export async function closeQuietly(client: Redis | Cluster): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

export function createStoreClient(settings: StoreClientSettings): StoreRedis {
  const maxDelay = settings.reconnectMaxDelayMs ?? 2000;
  const common = {
    commandTimeout: settings.commandTimeoutMs ?? 1000,
    connectTimeout: settings.connectTimeoutMs ?? 5000,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    reconnectOnError: () => false as const,
  };
  let client: Redis | Cluster;
  if (settings.clusterNodes && settings.clusterNodes.length > 0) {
    client = new Cluster(parseClusterNodes(settings.clusterNodes.join(',')), {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      autoPipeliningIgnoredCommands: SCRIPT_COMMANDS,
      scaleReads: 'master',
      maxRedirections: 16,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: 2000,
      clusterRetryStrategy: (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 10), maxDelay),
      redisOptions: common,
    });
  } else {
    client = new Redis(settings.url ?? 'redis://127.0.0.1:6379', {
      ...common,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 16), maxDelay),
    });
  }
  defineStoreCommands(client);
  return client as unknown as StoreRedis;
}
