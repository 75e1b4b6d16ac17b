import { describe, expect, it } from 'vitest';
import { loadSettings } from './settings.js';

describe('settings', () => {
  it('reads environment variables, with flags on top and empty values as unset', () => {
    const s = loadSettings({ PORT: '9000', ABGATE_LOG_SAMPLE_RATE: '0.25', REDIS_URL: '' }, { port: 9100 });
    expect(s).toMatchObject({ port: 9100, logSampleRate: 0.25, maxBodyBytes: 1048576 });
    expect(s.redisUrl).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT:'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL: must be a redis:// or rediss:// URL'],
    [{ ABGATE_API_TOKEN: 'pa$$word!' }, 'ABGATE_API_TOKEN: must be a bearer token'],
    [{ ABGATE_WORKERS: '4' }, 'ABGATE_WORKERS: more than one worker needs a shared store; set REDIS_URL'],
    [{ ABGATE_LOG_SAMPLE_RATE: '2' }, 'ABGATE_LOG_SAMPLE_RATE:'],
    [{ ABGATE_CORS_ORIGINS: 'https://shop.example/path' }, 'ABGATE_CORS_ORIGINS: each origin must be'],
    [{ ABGATE_REDIS_CLUSTER: 'redis://a:6379' }, 'ABGATE_REDIS_CLUSTER: must be comma-separated host:port'],
    [{ ABGATE_MODEL_V1_PORT: '70000' }, 'ABGATE_MODEL_V1_PORT:'],
  ])('names the variable of a bad setting: %j', (env, message) => {
    expect(() => loadSettings(env)).toThrow(message);
  });

  it('allows several workers with Redis', () => {
    expect(loadSettings({ ABGATE_WORKERS: '4', REDIS_URL: 'redis://127.0.0.1:6379' }).workers).toBe(4);
  });

  it('reads CORS origins as a list, with none by default', () => {
    expect(loadSettings({}).corsOrigins).toEqual([]);
    expect(
      loadSettings({ ABGATE_CORS_ORIGINS: 'https://shop.example, http://localhost:5173' }).corsOrigins,
    ).toEqual(['https://shop.example', 'http://localhost:5173']);
    expect(loadSettings({ ABGATE_CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it('accepts Redis Cluster seed nodes and demo model ports', () => {
    const s = loadSettings({
      ABGATE_REDIS_CLUSTER: 'redis-0.redis:6379, redis-1.redis:6379',
      ABGATE_MODEL_V1_PORT: '9101',
    });
    expect(s).toMatchObject({
      redisCluster: 'redis-0.redis:6379, redis-1.redis:6379',
      modelV1Port: 9101,
      modelV2Port: 9002,
    });
  });
});
