import { describe, expect, it } from 'vitest';
import { connectionCapFor, defaultConnectionCap, parseOpenFileLimit } from './connection-cap.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             63704                63704                processes
Max open files            1024                 1048576              files
Max locked memory         8388608              8388608              bytes
`;

describe('connection cap', () => {
  it('reads the soft open-file limit', () => {
    expect(parseOpenFileLimit(LIMITS)).toBe(1024);
    expect(parseOpenFileLimit(LIMITS.replace(/1024 /, 'unlimited '))).toBeUndefined();
    expect(parseOpenFileLimit('')).toBeUndefined();
  });

  it('keeps half of what the reserve leaves, and no cap when the limit is unknown', () => {
    expect(connectionCapFor(1024)).toBe(384);
    expect(connectionCapFor(1_048_576)).toBe(524_160);
    expect(connectionCapFor(100)).toBe(64);
    expect(connectionCapFor(undefined)).toBe(0);
    expect(defaultConnectionCap(() => LIMITS)).toBe(384);
    expect(
      defaultConnectionCap(() => {
        throw new Error('ENOENT');
      }),
    ).toBe(0);
  });
});
