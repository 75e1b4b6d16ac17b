// Gives a test file a Redis to talk to: REDIS_URL when set, else its own redis-server for the file.
// Each store gets a unique key prefix, so tests never see each other's keys. Call at the top of a file.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisServer } from './redis-server.js';

export interface SharedRedis {
  /** URL of the server (valid inside tests and hooks). */
  url(): string;
  /** A key prefix no other test uses; its keys are deleted after the file when REDIS_URL is used. */
  uniquePrefix(): string;
}

async function deleteKeys(url: string, prefixes: readonly string[]): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await client.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
}

export function useSharedRedis(): SharedRedis {
  const external = process.env.REDIS_URL;
  const prefixes: string[] = [];
  let server: RedisServer | undefined;
  beforeAll(async () => {
    if (!external) server = await RedisServer.start();
  });
  afterAll(async () => {
    if (external) await deleteKeys(external, prefixes);
    await server?.dispose();
  });
  return {
    url() {
      const url = external ?? server?.url;
      if (!url)
        throw new Error('useSharedRedis: the server is not started yet (use it inside tests or hooks)');
      return url;
    },
    uniquePrefix() {
      const prefix = `abgate-test-${randomBytes(6).toString('hex')}`;
      prefixes.push(prefix);
      return prefix;
    },
  };
}
