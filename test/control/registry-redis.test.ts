// The registry on a real Redis that goes away: the gateway keeps serving the last known state, changes
// answer "unavailable", and when Redis comes back without its data the live state is put back.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlError } from '../../src/control/control-error.js';
import { createRedisLiveBackend } from '../../src/control/redis-live-backend.js';
import { ExperimentRegistry } from '../../src/control/registry.js';
import { RedisServer } from '../setup/redis-server.js';
import { experimentsFrom } from '../helpers/gateway.js';
import { twoArmExperiment } from '../helpers/experiments.js';

const logger = pino({ level: 'silent' });
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function open(redis: RedisServer, docs: unknown[], checkIntervalMs = 50) {
  const registry = await ExperimentRegistry.create(experimentsFrom(docs), {
    backend: createRedisLiveBackend({ url: redis.url, commandTimeoutMs: 300 }),
    logger,
    checkIntervalMs,
  });
  cleanup.push(() => registry.close());
  return registry;
}

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('ExperimentRegistry on Redis (outages)', () => {
  it('keeps serving during an outage, refuses changes, and restores the live state Redis lost', async () => {
    const redis = await RedisServer.start(); // no persistence: a restart loses everything
    cleanup.push(() => redis.dispose());
    const docs = [twoArmExperiment('exp', undefined, { traffic: 10 })];
    const registry = await open(redis, docs);
    await registry.change('exp', { traffic: 60 }, { actor: 'ops', reason: 'ramp' });

    await redis.stop();
    const err = await registry.change('exp', { traffic: 70 }, { actor: 'ops' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect(err).toMatchObject({ kind: 'unavailable' });
    await until(() => !registry.status().connected);
    expect(registry.current().routes.match('/exp')?.experiment.definition.traffic).toBe(60);

    await redis.restart();
    await until(() => registry.status().connected && registry.status().experiments.exp!.version === 3);
    const history = await registry.history('exp');
    expect(history.map((h) => [h.version, h.source])).toEqual([[3, 'restore']]);
    expect(registry.current().byId.get('exp')!.definition.traffic).toBe(60);

    // A gateway starting now gets the restored live state, not the file's.
    const late = await open(redis, docs, 0);
    expect(late.state('exp')).toMatchObject({ version: 3, traffic: 60 });
  });

  it('starts from its files while Redis is down, and syncs once it answers', async () => {
    const redis = await RedisServer.start();
    cleanup.push(() => redis.dispose());
    const docs = [twoArmExperiment('exp', undefined, { traffic: 10 })];
    // Another gateway ramped it earlier.
    const earlier = await open(redis, docs, 0);
    await earlier.change('exp', { traffic: 35 }, { actor: 'ops' });
    await redis.freeze();
    const started = Date.now();
    const registry = await open(redis, docs);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(registry.status()).toMatchObject({ connected: false, experiments: { exp: { synced: false } } });
    expect(registry.current().byId.get('exp')!.definition.traffic).toBe(10);
    redis.thaw();
    await until(() => registry.current().byId.get('exp')!.definition.traffic === 35);
    expect(registry.status()).toMatchObject({
      connected: true,
      experiments: { exp: { synced: true, version: 2 } },
    });
  });
});
