// Vitest globalSetup: fails the run early, with the fix, when redis-server is missing and no REDIS_URL is set.
import { REDIS_MISSING_MESSAGE, redisServerAvailable } from './redis-server.js';

export function setup(): void {
  if (process.env.REDIS_URL) return;
  if (!redisServerAvailable()) throw new Error(REDIS_MISSING_MESSAGE);
}
