// Starts a real gateway on a free loopback port with the given experiment documents.
import { pino } from 'pino';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { validateExperimentDocument, type LoadedExperiment } from '../../src/config/load-experiments.js';
import { createGateway, type Gateway } from '../../src/server.js';
import { createServices, type ServiceOverrides } from '../../src/services.js';

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  close(): Promise<void>;
}

export function experimentsFrom(docs: unknown[]): LoadedExperiment[] {
  return docs.map((doc, i) => {
    const r = validateExperimentDocument(`test-${i}.yaml`, doc);
    if ('problems' in r) throw new Error(r.problems.join('\n'));
    return { file: `test-${i}.yaml`, definition: r.definition };
  });
}

export async function startGateway(
  docs: unknown[],
  settings: Partial<Record<keyof Settings, unknown>> = {},
  overrides: ServiceOverrides = {},
): Promise<TestGateway> {
  const s = loadSettings({}, { host: '127.0.0.1', port: 0, logLevel: 'silent', ...settings });
  const services = await createServices(s, experimentsFrom(docs), {
    logger: pino({ level: 'silent' }),
    processMetrics: false,
    ...overrides,
  });
  const gateway = createGateway(services);
  const port = await gateway.listen(0, '127.0.0.1');
  return {
    gateway,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await gateway.close(2_000);
    },
  };
}
