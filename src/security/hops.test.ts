import { describe, expect, it } from 'vitest';
import { loopError, MAX_HOPS, newGatewayId, withHop } from './hops.js';

describe('gateway hops', () => {
  it('appends this gateway to the hops so far', () => {
    expect(withHop(undefined, 'me')).toBe('me');
    expect(withHop('a, b', 'me')).toBe('a, b, me');
    expect(withHop(['a', 'b,c'], 'me')).toBe('a, b, c, me');
  });

  it('answers 508 when the request already came through this gateway or through too many', () => {
    expect(loopError(undefined, 'me')).toBeUndefined();
    expect(loopError('a, b', 'me')).toBeUndefined();
    expect(loopError('a, me', 'me')).toMatchObject({ code: 'loop_detected', status: 508 });
    const many = Array.from({ length: MAX_HOPS }, (_, i) => `g${i}`).join(',');
    expect(loopError(many, 'me')?.message).toContain(`${MAX_HOPS} gateways`);
    expect(loopError(many.split(',').slice(1).join(','), 'me')).toBeUndefined();
  });

  it('gives each gateway a distinct id', () => {
    expect(newGatewayId()).toMatch(/^[0-9a-f]{12}$/);
    expect(newGatewayId()).not.toBe(newGatewayId());
  });
});
