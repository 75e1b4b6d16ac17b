import { describe, expect, it } from 'vitest';
import { isUnsafePath } from './unsafe-path.js';

describe('isUnsafePath', () => {
  it.each([
    '/m/../admin',
    '/m/..',
    '/m/./x',
    '/m/%2e%2e/admin',
    '/m/%2E%2e/admin',
    '/m/.%2e/admin',
    '/m/%2e./admin',
    '/m/..\\admin',
    '/m/..%5cadmin',
    '/m/..%5Cadmin',
    '/m/..;/admin',
    '/m/..;jsessionid=1/admin',
    '/m/%2e%2e;/admin',
    '/m/..%2fadmin',
    '/m/..%2Fadmin',
    '/m/%2e%2e%2fadmin',
    '/m/%252e%252e/admin',
    '/m/%25252e%25252e%25252fadmin',
    '/m/%c0%ae%c0%ae/admin',
    '/m/a\\b',
    '/m/a%5cb',
    '/m/a%00.json',
  ])('refuses %s', (path) => {
    expect(isUnsafePath(path)).toBe(true);
  });

  it.each([
    '/models/ranker/predict',
    '/m/v1.2/file..name',
    '/m/...',
    '/m/.well-known/x',
    '/m/a%2fb',
    '/m/%41%42',
    '/m/a;b=1/c',
    '/m/100%25',
    '/m/x.json',
  ])('passes %s', (path) => {
    expect(isUnsafePath(path)).toBe(false);
  });
});
