// The narrow slice of a Redis client the store uses, and an ioredis client configured to fail fast.
import { Redis } from 'ioredis';

export type RedisArg = string | number;

/** One pipeline reply: an error, or the command's result. */
export type PipelineReply = [error: Error | null, result: unknown];

/** What the Redis store needs from a client (ioredis' `Redis` satisfies it). */
export interface RedisClientLike {
  /** 'ready' when commands can be sent. */
  readonly status: string;
  /** Sends many commands in one write; replies come back in order. */
  pipeline(commands: RedisArg[][]): { exec(): Promise<PipelineReply[] | null> };
  call(command: string, ...args: RedisArg[]): Promise<unknown>;
  on(event: 'ready' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  /** With `reconnect`, drops the connection and dials again. */
  disconnect(reconnect?: boolean): void;
  quit(): Promise<unknown>;
}

export interface RedisClientSettings {
  /** redis:// or rediss:// URL. */
  readonly url: string;
  /** Longest wait between reconnection attempts. @default 2000 */
  readonly reconnectMaxDelayMs?: number;
  /** Longest TCP connect. @default 5000 */
  readonly connectTimeoutMs?: number;
}

/**
 * An ioredis client for the store: commands fail at once while disconnected (no offline queue, no
 * retries, no resend of unanswered commands: the store's queue is the source of truth), and it
 * reconnects forever with capped exponential backoff.
 */
export function createRedisClient(settings: RedisClientSettings): Redis {
  const maxDelay = settings.reconnectMaxDelayMs ?? 2000;
  return new Redis(settings.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: settings.connectTimeoutMs ?? 5000,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 16), maxDelay),
    reconnectOnError: () => false,
  });
}
