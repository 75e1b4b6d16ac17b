// The exposure cache of the Redis store: which repeats it skips, and its bound.
import { describe, expect, it } from 'vitest';
import { ExposureCache } from '../../src/store/redis/exposure-cache.js';

describe('ExposureCache', () => {
  it('skips a repeat in the same arm and phase, never a new arm, phase or experiment', () => {
    const c = new ExposureCache(100);
    expect(c.seen('e', 1, 'u', 'a')).toBe(false);
    expect(c.seen('e', 1, 'u', 'a')).toBe(true);
    expect(c.seen('e', 1, 'u', 'b')).toBe(false); // another arm goes through (and is remembered)
    expect(c.seen('e', 1, 'u', 'b')).toBe(true);
    expect(c.seen('e', 2, 'u', 'b')).toBe(false);
    expect(c.seen('f', 1, 'u', 'b')).toBe(false);
  });

  it('forgets every user of an experiment, and only of that one', () => {
    const c = new ExposureCache(100);
    c.seen('e', 1, 'u', 'a');
    c.seen('f', 1, 'u', 'a');
    c.forget('e');
    expect(c.seen('e', 1, 'u', 'a')).toBe(false);
    expect(c.seen('e', 1, 'u', 'a')).toBe(true);
    expect(c.seen('f', 1, 'u', 'a')).toBe(true);
  });

  it('forgets everything on clear(), in both generations', () => {
    const c = new ExposureCache(4); // a generation turns over every 2 entries
    for (const u of ['a', 'b', 'c']) c.seen('e', 1, u, 'x');
    expect(c.size).toBe(3);
    c.clear();
    expect(c.size).toBe(0);
    for (const u of ['a', 'b', 'c']) expect(c.seen('e', 1, u, 'x')).toBe(false);
  });

  it('stays within its bound and keeps the users seen most recently', () => {
    const c = new ExposureCache(1_000);
    for (let i = 0; i < 10_000; i++) {
      c.seen('e', 1, `u${i}`, 'a');
      c.seen('e', 1, 'hot', 'a'); // seen all along
      expect(c.size).toBeLessThanOrEqual(1_000);
    }
    expect(c.seen('e', 1, 'hot', 'a')).toBe(true);
    expect(c.seen('e', 1, 'u9999', 'a')).toBe(true);
    expect(c.seen('e', 1, 'u0', 'a')).toBe(false); // long gone
  });

  it('remembers nothing with a bound of 0', () => {
    const c = new ExposureCache(0);
    expect(c.seen('e', 1, 'u', 'a')).toBe(false);
    expect(c.seen('e', 1, 'u', 'a')).toBe(false);
    expect(c.size).toBe(0);
  });
});
