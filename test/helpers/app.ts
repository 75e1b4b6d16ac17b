// The Hono app in-process (app.request), with services built around the given experiment documents.
import { pino } from 'pino';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { createApp } from '../../src/http/app.js';
import { createServices, type ServiceOverrides, type Services } from '../../src/services.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { experimentsFrom } from './gateway.js';
import { NO_UPSTREAMS, twoArmExperiment } from './experiments.js';

export async function testApp(
  docs: unknown[],
  settings: Partial<Record<keyof Settings, unknown>> = {},
  overrides: ServiceOverrides = {},
) {
  const loaded = loadSettings({}, { logLevel: 'silent', ...settings });
  const store =
    overrides.store ??
    new MemoryEventStore({
      dedupWindowMs: loaded.dedupWindowSeconds * 1000,
      attributionGraceMs: loaded.attributionGraceSeconds * 1000,
      ...(overrides.now ? { now: overrides.now } : {}),
    });
  const services: Services = await createServices(loaded, experimentsFrom(docs), {
    logger: pino({ level: 'silent' }),
    processMetrics: false,
    store,
    ...overrides,
  });
  const app = createApp(services);
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { app, services, store, post };
}

/** An experiment document with two arms on unreachable upstreams (API tests never proxy). */
export function apiExperiment(overrides: Record<string, unknown> = {}) {
  return twoArmExperiment('exp', NO_UPSTREAMS, {
    metrics: [
      { name: 'click', type: 'binomial' },
      { name: 'revenue', type: 'continuous' },
    ],
    ...overrides,
  });
}
