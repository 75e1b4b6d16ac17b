// `abgate model-server --variant v1|v2 [--port N] [--host H] [--latency-ms N]`: one demo model variant.
import { startModelServer } from '../demo/model-server.js';
import { VARIANTS, type Variant } from '../demo/models.js';
import { intFlag, parse, UsageError } from './args.js';

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
  const { server, port } = await startModelServer({
    variant,
    port: intFlag(values.port, 'port'),
    host: values.host,
    latencyMs: intFlag(values['latency-ms'], 'latency-ms'),
  });
  console.log(JSON.stringify({ msg: `demo model ${variant} listening`, port }));
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return undefined;
}
