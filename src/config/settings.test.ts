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
    [{ ABGATE_API_TOKEN: 'pa$$word!pa$$word!' }, 'ABGATE_API_TOKEN: must be a bearer token'],
    [{ ABGATE_API_TOKEN: '' }, 'ABGATE_API_TOKEN: is set but empty; give a token of at least 16 characters'],
    [{ ABGATE_INGEST_TOKEN: '' }, 'ABGATE_INGEST_TOKEN: is set but empty'],
    [
      { ABGATE_INGEST_TOKEN: 'short-token' },
      'ABGATE_INGEST_TOKEN: is 11 characters long; a token needs at least 16',
    ],
    [{ ABGATE_FORCE_ARM: 'sometimes' }, 'ABGATE_FORCE_ARM:'],
    [{ ABGATE_FORCE_ARM: 'token' }, 'ABGATE_FORCE_ARM: "token" needs ABGATE_INGEST_TOKEN'],
    [{ ABGATE_REQUEST_TIMEOUT_MS: '0' }, 'ABGATE_REQUEST_TIMEOUT_MS:'],
    [{ ABGATE_MAX_CONNECTIONS: '-1' }, 'ABGATE_MAX_CONNECTIONS:'],
    [{ ABGATE_WORKERS: '4' }, 'ABGATE_WORKERS: more than one worker needs a shared store; set REDIS_URL'],
    [{ ABGATE_LOG_SAMPLE_RATE: '2' }, 'ABGATE_LOG_SAMPLE_RATE:'],
    [{ ABGATE_CORS_ORIGINS: 'https://shop.example/path' }, 'ABGATE_CORS_ORIGINS: each origin must be'],
    [
      { ABGATE_REDIS_CLUSTER: 'redis://a:6379' },
      'ABGATE_REDIS_CLUSTER: must be host:port seed nodes separated by commas',
    ],
    [{ ABGATE_MODEL_V1_PORT: '70000' }, 'ABGATE_MODEL_V1_PORT:'],
  ])('names the variable of a bad setting: %j', (env, message) => {
    expect(() => loadSettings(env)).toThrow(message);
  });

  it('never echoes a rejected token', () => {
    expect(() => loadSettings({ ABGATE_INGEST_TOKEN: 'leaky' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('leaky') as unknown }),
    );
  });

  it('defaults the hardening settings', () => {
    const s = loadSettings({});
    expect(s).toMatchObject({ forceArm: 'auto', requestTimeoutMs: 120_000 });
    expect(s.ingestToken).toBeUndefined();
    expect(s.maxConnections).toBeUndefined();
    const t = loadSettings({ ABGATE_INGEST_TOKEN: 'ingest-0123456789abcdef', ABGATE_FORCE_ARM: 'token' });
    expect(t).toMatchObject({ ingestToken: 'ingest-0123456789abcdef', forceArm: 'token' });
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
