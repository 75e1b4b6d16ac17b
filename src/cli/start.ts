// `abgate start` (npm start): both demo model variants and the gateway with the example experiments.
import type { Server } from 'node:http';
import { SETTINGS_ENV, type Settings } from '../config/settings.js';
import { startModelServer } from '../demo/model-server.js';
import type { Variant } from '../demo/models.js';
import { intFlag, listenFailure } from './args.js';
import { runGateway, SERVE_FLAGS, serveSettings } from './serve.js';

export const START_FLAGS = {
  ...SERVE_FLAGS,
  'model-v1-port': { type: 'string' },
  'model-v2-port': { type: 'string' },
} as const;

export const START_USAGE = `abgate start [serve options] [--model-v1-port N] [--model-v2-port N]
  the demo model variants on 127.0.0.1 and the gateway with the example experiments (npm start)
  --model-v1-port  ABGATE_MODEL_V1_PORT  (default 9001)
  --model-v2-port  ABGATE_MODEL_V2_PORT  (default 9002)
The experiment files take the models' hosts and ports from ABGATE_MODEL_V1_HOST/_PORT and
ABGATE_MODEL_V2_HOST/_PORT; start sets them to where it runs the models.
serve options: --port, --host, --experiments, --redis, --workers (see abgate serve --help)`;

const MODEL_SETTINGS = {
  v1: { key: 'modelV1Port', flag: '--model-v1-port', host: 'ABGATE_MODEL_V1_HOST' },
  v2: { key: 'modelV2Port', flag: '--model-v2-port', host: 'ABGATE_MODEL_V2_HOST' },
} as const satisfies Record<Variant, { key: keyof Settings; flag: string; host: string }>;

const MODEL_HOST = '127.0.0.1';

async function startModel(variant: Variant, settings: Settings): Promise<{ server: Server; port: number }> {
  const { key, flag } = MODEL_SETTINGS[variant];
  const port = settings[key];
  try {
    return await startModelServer({ variant, port, host: MODEL_HOST });
  } catch (err) {
    throw listenFailure(`demo model ${variant}`, MODEL_HOST, port, err, {
      flag,
      variable: SETTINGS_ENV[key],
    });
  }
}

function closeAll(servers: readonly Server[]): Promise<void> {
  return Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(
    () => undefined,
  );
}

export async function startCommand(args: string[]): Promise<number | undefined> {
  const settings = serveSettings(
    args,
    (values) => ({
      modelV1Port: intFlag(values['model-v1-port'] as string | undefined, 'model-v1-port'),
      modelV2Port: intFlag(values['model-v2-port'] as string | undefined, 'model-v2-port'),
    }),
    START_FLAGS,
  );
  const started = await Promise.allSettled([startModel('v1', settings), startModel('v2', settings)]);
  const models = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await closeAll(models.map((m) => m.server));
    throw failed.reason;
  }
  const [v1, v2] = models as [{ server: Server; port: number }, { server: Server; port: number }];
  // The example experiments read the models' addresses from these variables.
  const experimentsEnv = {
    ...process.env,
    [MODEL_SETTINGS.v1.host]: MODEL_HOST,
    [SETTINGS_ENV.modelV1Port]: String(v1.port),
    [MODEL_SETTINGS.v2.host]: MODEL_HOST,
    [SETTINGS_ENV.modelV2Port]: String(v2.port),
  };
  let gateway;
  try {
    gateway = await runGateway(settings, { experimentsEnv });
  } catch (err) {
    await closeAll([v1.server, v2.server]);
    throw err;
  }
  const port = gateway.server.address();
  const gatewayPort = typeof port === 'object' && port !== null ? port.port : settings.port;
  gateway.services.logger.info(
    { models: [v1.port, v2.port] },
    `demo model variants on ${MODEL_HOST}:${v1.port} and :${v2.port}`,
  );
  if (process.stdout.isTTY) {
    // Plain text, so the command can be pasted as it is (a JSON log line would escape the quotes).
    console.log(
      `\nabgate is up: gateway on http://localhost:${gatewayPort}, demo models on ${MODEL_HOST}:${v1.port} and :${v2.port}\n` +
        `try:\n  curl -s -i -H 'x-user-id: alice' -H 'content-type: application/json' \\\n` +
        `    -d '{"features":{"query_length":3,"position":1,"price":20}}' http://localhost:${gatewayPort}/models/ranker/predict\n`,
    );
  }
  return undefined;
}
