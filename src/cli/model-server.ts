// `abgate model-server --variant v1|v2 [--port N] [--host H] [--latency-ms N]`: one demo model variant.
import { startModelServer } from '../demo/model-server.js';
import { VARIANTS, type Variant } from '../demo/models.js';
import { intFlag, listenFailure, parse, UsageError } from './args.js';

export const MODEL_SERVER_USAGE = `abgate model-server --variant v1|v2 [--port N] [--host H] [--latency-ms N]
  one demo model variant: POST /rank or /churn {"features": {...}} → a score; GET /healthz
  --port        default 9001 for v1, 9002 for v2
  --host        default 127.0.0.1 (0.0.0.0 in a container)
  --latency-ms  extra latency per prediction (default 0)`;

export async function modelServerCommand(args: string[]): Promise<undefined> {
  const { values } = parse(args, {
    variant: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'latency-ms': { type: 'string' },
  });
  const variant = values.variant as Variant | undefined;
  if (!variant || !VARIANTS.includes(variant))
    throw new UsageError(`--variant must be one of ${VARIANTS.join(', ')}`);
  const port = intFlag(values.port, 'port') ?? (variant === 'v1' ? 9001 : 9002);
  const host = values.host ?? '127.0.0.1';
  let started;
  try {
    started = await startModelServer({
      variant,
      port,
      host,
      latencyMs: intFlag(values['latency-ms'], 'latency-ms'),
    });
  } catch (err) {
    throw listenFailure(`demo model ${variant}`, host, port, err, { flag: '--port' });
  }
  const { server } = started;
  console.log(JSON.stringify({ msg: `demo model ${variant} listening`, port: started.port }));
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return undefined;
}
