// Which Redis failures may give an event up (its own data) and which retry without limit (the server's).
import { describe, expect, it } from 'vitest';
import { isEventFault, isNoScript } from '../../src/store/redis/reply-errors.js';

/** What ioredis rejects with on an error reply (redis-errors' ReplyError). */
const reply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });

describe('reply error classification', () => {
  it('treats only errors tied to one event’s data as event faults', () => {
    for (const message of [
      'WRONGTYPE Operation against a key holding the wrong kind of value script: 1f0c, on @user_script:60.',
      'ERR Error running script (call to f_1f0c): @user_script:60: WRONGTYPE Operation against a key holding the wrong kind of value',
      'ERR value is not a valid float',
      'ERR increment would produce NaN or Infinity',
      'ERR hash value is not a float',
      'ABGATE_BADEVENT outcome value is not a finite number: nan script: 1f0c, on @user_script:9.',
    ])
      expect(isEventFault(reply(message)), message).toBe(true);
  });

  it('retries server conditions, unknown replies and non-reply errors', () => {
    for (const message of [
      "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.",
      'NOAUTH Authentication required.',
      'WRONGPASS invalid username-password pair or user is disabled.',
      "NOPERM User default has no permissions to run the 'evalsha' command",
      "READONLY You can't write against a read only replica.",
      'MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.',
      'CLUSTERDOWN The cluster is down',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'BUSY Redis is busy running a script.',
      "OOM command not allowed when used memory > 'maxmemory'.",
      'NOREPLICAS Not enough good replicas to write.',
      'LOADING Redis is loading the dataset in memory',
      'ERR user_script:12: attempt to compare nil with number script: 1f0c, on @user_script:12.',
      'ERR some future error',
    ])
      expect(isEventFault(reply(message)), message).toBe(false);
    expect(isEventFault(new Error('WRONGTYPE but not a reply'))).toBe(false);
    expect(isNoScript(reply('NOSCRIPT No matching script.'))).toBe(true);
  });
});
