// A read-only look at a Redis store (for the CLI): one plain connection, the same reads as the store,
// then quit. No journal, no queue, no sweeping of held outcomes: nothing is written, so it is safe to run
// next to live gateways (outcomes still held or journaled by gateways are not included).
import type { AggregateQuery, DayAggregate, ExperimentAggregates } from '../event-store.js';
import { KeyLayout } from './key-layout.js';
import { readDays, readTotals } from './read-stats.js';
import { closeQuietly, oneShotClient, type StoreRedis } from './store-client.js';

export interface RedisReaderOptions {
  /** First part of every key, as configured for the gateways. @default "abgate" */
  readonly keyPrefix?: string;
  /** Longest wait for the connection and for each reply. @default 5000 */
  readonly timeoutMs?: number;
  /** Seed nodes of a Redis Cluster instead of a URL. */
  readonly clusterNodes?: string;
}

export interface RedisReader {
  readAggregates(query: AggregateQuery): Promise<ExperimentAggregates>;
  readDaily(query: AggregateQuery): Promise<DayAggregate[]>;
  close(): Promise<void>;
}

/** Connects once and reads like the store. */
export async function openRedisReader(
  url: string | undefined,
  options: RedisReaderOptions = {},
): Promise<RedisReader> {
  const client = oneShotClient(url, options);
  await client.connect();
  const keys = new KeyLayout(options.keyPrefix);
  const c = client as unknown as StoreRedis;
  return {
    readAggregates: (query) => readTotals(c, keys, query),
    readDaily: (query) => readDays(c, keys, query),
    close: () => closeQuietly(client),
  };
}

/** One read of one experiment phase's aggregates, then the connection is closed. */
export async function readAggregatesFrom(
  url: string,
  query: AggregateQuery,
  options: RedisReaderOptions = {},
): Promise<ExperimentAggregates> {
  const reader = await openRedisReader(url, options);
  try {
    return await reader.readAggregates(query);
  } finally {
    await reader.close();
  }
}
