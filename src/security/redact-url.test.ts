import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it.each([
    ['http://user:pa55@models.internal:9001/rank', 'http://user:***@models.internal:9001/rank'],
    ['https://sk-live-123@models.internal/rank', 'https://***@models.internal/rank'],
    ['http://127.0.0.1:9001/rank', 'http://127.0.0.1:9001/rank'],
    ['not a url', 'not a url'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
