import { describe, expect, it } from 'vitest';
import { TokenSet } from './token-set.js';

describe('TokenSet', () => {
  it('matches any configured token exactly, and nothing when none is configured', () => {
    const set = new TokenSet(['ingest-0123456789abcdef', undefined, 'admin-0123456789abcdef']);
    expect(set.empty).toBe(false);
    expect(set.matches('ingest-0123456789abcdef')).toBe(true);
    expect(set.matches('admin-0123456789abcdef')).toBe(true);
    for (const wrong of [
      undefined,
      '',
      'ingest-0123456789abcde',
      'ingest-0123456789abcdefx',
      'INGEST-0123456789ABCDEF',
    ]) {
      expect(set.matches(wrong), String(wrong)).toBe(false);
    }
    const none = new TokenSet([undefined]);
    expect(none.empty).toBe(true);
    expect(none.matches('')).toBe(false);
  });
});
