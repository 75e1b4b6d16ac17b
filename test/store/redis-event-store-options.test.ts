// Option rules of RedisEventStore that are not plain defaults.
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/store/redis/redis-event-store-options.js';

describe('resolveOptions', () => {
  it('waits for replicas half the command timeout unless told', () => {
    expect(resolveOptions({ journalDir: '/j', waitReplicas: 1 }).waitTimeoutMs).toBe(500);
    expect(resolveOptions({ journalDir: '/j', waitReplicas: 1, commandTimeoutMs: 300 }).waitTimeoutMs).toBe(
      150,
    );
    expect(resolveOptions({ journalDir: '/j', waitReplicas: 1, waitTimeoutMs: 200 }).waitTimeoutMs).toBe(200);
  });

  it('refuses a WAIT as long as the command timeout (the command would time out before WAIT answers)', () => {
    expect(() => resolveOptions({ journalDir: '/j', waitReplicas: 1, waitTimeoutMs: 1000 })).toThrow(
      /waitTimeoutMs \(1000\) must be below commandTimeoutMs \(1000\)/,
    );
    expect(resolveOptions({ journalDir: '/j', waitReplicas: 0, waitTimeoutMs: 1000 }).waitTimeoutMs).toBe(
      1000,
    );
  });
});
