// `abgate start` (npm start): both demo model variants and the gateway with the example experiments.
import { startModelServer } from '../demo/model-server.js';
import { runGateway, serveSettings } from './serve.js';

export async function startCommand(args: string[]): Promise<number | undefined> {
  const settings = serveSettings(args);
  if (!settings) return 0;
  const models = await Promise.all([
    startModelServer({ variant: 'v1' }),
    startModelServer({ variant: 'v2' }),
  ]);
  const gateway = await runGateway(settings);
  gateway.services.logger.info(
    { models: models.map((m) => m.port) },
    `demo model variants on 127.0.0.1:${models.map((m) => m.port).join(', ')}; try: curl -s -i -H 'x-user-id: alice' -H 'content-type: application/json' -d '{"features":{"query_length":3,"position":1,"price":20}}' http://localhost:${settings.port}/models/ranker/predict`,
  );
  return undefined;
}
