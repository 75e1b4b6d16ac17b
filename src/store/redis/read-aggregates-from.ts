// A read-only look at a Redis store's aggregates (for the CLI): one plain connection, one HMGET, quit.
// No journal directory, no claiming of journals, no queue: nothing is written, so it is safe to run
// next to live gateways.
import { Redis } from 'ioredis';
import type { AggregateQuery, ExperimentAggregates } from '../event-store.js';
import { aggregateFields, parseAggregates } from './aggregates-reader.js';
import { KeyLayout } from './key-layout.js';

export interface ReadAggregatesFromOptions {
  /** First part of every key, as configured for the gateways. @default "abgate" */
  readonly keyPrefix?: string;
  /** Longest wait for the connection and for the reply, each. @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * Reads one experiment's per-arm aggregates from the Redis at `url` (redis:// or rediss://), exactly as
 * RedisEventStore.readAggregates does, then closes the connection. Rejects when Redis is unreachable or
 * does not answer within `timeoutMs`. Events still queued or journaled by gateways are not included.
 */
export async function readAggregatesFrom(
  url: string,
  query: AggregateQuery,
  options: ReadAggregatesFromOptions = {},
): Promise<ExperimentAggregates> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: () => null, // one attempt: a CLI reports the failure rather than wait
  });
  client.on('error', () => {}); // the failure surfaces as the rejection of connect() or hmget()
  try {
    await client.connect();
    const stats = new KeyLayout(options.keyPrefix).experiment(query.experiment).stats;
    const reply = await client.hmget(stats, ...aggregateFields(query));
    return parseAggregates(query, reply);
  } finally {
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  }
}
