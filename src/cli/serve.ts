// `abgate serve`: the gateway, in-process or as N worker processes (node:cluster) sharing only Redis.
import cluster from 'node:cluster';
import { loadExperiments } from '../config/load-experiments.js';
import { loadSettings, type Settings } from '../config/settings.js';
import { createGateway, type Gateway } from '../server.js';
import { createServices, createLogger } from '../services.js';
import { intFlag, parse } from './args.js';
import { serveClusterMetrics } from '../telemetry/cluster-metrics.js';

export const SERVE_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  experiments: { type: 'string' },
  redis: { type: 'string' },
  workers: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const SERVE_USAGE = `abgate serve [--port N] [--host H] [--experiments DIR] [--redis URL] [--workers N]
  --port         PORT                (default 8080)
  --host         ABGATE_HOST         (default 0.0.0.0)
  --experiments  ABGATE_EXPERIMENTS  (default ./experiments)
  --redis        REDIS_URL           (default: none, embedded in-memory store, not durable)
  --workers      ABGATE_WORKERS      (default 1)`;

export function serveSettings(args: string[]): Settings | undefined {
  const { values } = parse(args, SERVE_FLAGS);
  if (values.help) {
    console.log(SERVE_USAGE);
    return undefined;
  }
  return loadSettings(process.env, {
    port: intFlag(values.port, 'port'),
    host: values.host,
    experimentsDir: values.experiments,
    redisUrl: values.redis,
    workers: intFlag(values.workers, 'workers'),
  });
}

/** Starts one gateway in this process and wires SIGTERM/SIGINT to a graceful stop. */
export async function runGateway(settings: Settings): Promise<Gateway> {
  const experiments = await loadExperiments(settings.experimentsDir);
  const services = await createServices(settings, experiments);
  const gateway = createGateway(services);
  const port = await gateway.listen();
  // Experiment files are picked up live: on every change in the folder, and on SIGHUP.
  services.registry.watchFolder(settings.experimentsDir);
  process.on('SIGHUP', () => {
    services.logger.info({ dir: settings.experimentsDir }, 'SIGHUP: reloading the experiments folder');
    void services.registry.reloadFrom(settings.experimentsDir);
  });
  services.logger.info(
    {
      port,
      experiments: experiments.map(
        (e) => `${e.definition.id} (${e.definition.status}) ${e.definition.route.path}`,
      ),
      store: services.store.status().backend,
    },
    `abgate listening on http://${settings.host}:${port}`,
  );
  const stop = (signal: string) => {
    services.logger.info({ signal }, 'shutting down: finishing in-flight requests and flushing events');
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        services.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return gateway;
}

/** Primary of a multi-worker gateway: forks, replaces crashed workers, relays the stop signal. */
function runPrimary(settings: Settings): void {
  const logger = createLogger(settings);
  let stopping = false;
  serveClusterMetrics();
  for (let i = 0; i < settings.workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ worker: worker.process.pid, code, signal }, 'worker died; starting a new one');
    cluster.fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    logger.info({ signal }, 'stopping workers');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // Each worker reloads its experiments folder; the primary passes the signal on.
  process.on('SIGHUP', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
  });
}

export async function serveCommand(args: string[]): Promise<number | undefined> {
  const settings = serveSettings(args);
  if (!settings) return 0;
  if (settings.workers > 1 && cluster.isPrimary) {
    // Fail fast on a bad experiment folder before forking N copies of the same error.
    await loadExperiments(settings.experimentsDir);
    runPrimary(settings);
    return undefined;
  }
  await runGateway(settings);
  return undefined;
}
