// `abgate demo` (npm run demo): the whole loop in under a minute on the embedded store.
// Starts the demo models and a gateway, sends simulated users through the ranker experiment,
// posts their outcomes (treatment truly converts better), and prints the report.
import { Agent, request } from 'undici';
import { pino } from 'pino';
import { loadExperiments, type LoadedExperiment } from '../config/load-experiments.js';
import { loadSettings, SETTINGS_ENV } from '../config/settings.js';
import { startModelServer } from '../demo/model-server.js';
import { mulberry32 } from '../core/seeded-random.js';
import type { Report } from '../reports/build-report.js';
import { reportToTable } from '../reports/table.js';
import { createGateway } from '../server.js';
import { createServices } from '../services.js';
import { intFlag, listenFailure, parse } from './args.js';

export const DEMO_USAGE = `abgate demo [--users N] [--seed N] [--port N] [--keep]
  the whole loop in under a minute on the embedded store: starts the demo models and a gateway,
  sends N simulated users (default 6000) through /models/ranker/predict, posts their outcomes
  and prints the report
  --keep  keep the gateway up afterwards to open the HTML report (Ctrl-C to stop)
  (from a checkout: npm run demo -- --keep; installed: npx abgate demo --keep)`;

/** True click-through rate of each arm in the simulation, and mean revenue per click. */
const TRUE_CTR: Record<string, number> = { control: 0.1, treatment: 0.135 };
const REVENUE_PER_CLICK = 20;

export async function demoCommand(args: string[]): Promise<number | undefined> {
  const { values } = parse(args, {
    users: { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean' },
    port: { type: 'string' },
  });
  const users = intFlag(values.users, 'users') ?? 6000;
  const random = mulberry32(intFlag(values.seed, 'seed') ?? 7);

  const [v1, v2] = await Promise.all([
    startModelServer({ variant: 'v1', port: 0 }),
    startModelServer({ variant: 'v2', port: 0 }),
  ]);
  // The demo's models run on free ports; the example experiments read their addresses from these.
  const loaded: LoadedExperiment[] = await loadExperiments(
    process.env.ABGATE_EXPERIMENTS ?? './experiments',
    {
      env: {
        ...process.env,
        ABGATE_MODEL_V1_HOST: '127.0.0.1',
        [SETTINGS_ENV.modelV1Port]: String(v1.port),
        ABGATE_MODEL_V2_HOST: '127.0.0.1',
        [SETTINGS_ENV.modelV2Port]: String(v2.port),
      },
    },
  );
  const settings = loadSettings(
    {},
    { port: intFlag(values.port, 'port') ?? 0, host: '127.0.0.1', logLevel: 'silent' },
  );
  const services = await createServices(settings, loaded, { logger: pino({ level: 'silent' }) });
  const gateway = createGateway(services);
  let port: number;
  try {
    port = await gateway.listen();
  } catch (err) {
    await gateway.close(0);
    v1.server.close();
    v2.server.close();
    throw listenFailure('the demo gateway', settings.host, settings.port, err, { flag: '--port' });
  }
  const base = `http://127.0.0.1:${port}`;
  const dispatcher = new Agent({ connections: 16 });
  console.log(`abgate demo: gateway on ${base}, ${users} simulated users through /models/ranker/predict …`);

  const outcomes: { user_id: string; metric: string; value: number; event_id: string }[] = [];
  const arms: Record<string, number> = {};
  for (let i = 0; i < users; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, users - i) }, async (_, k) => {
        const user = `demo-user-${i + k}`;
        const res = await request(`${base}/models/ranker/predict`, {
          method: 'POST',
          dispatcher,
          headers: { 'x-user-id': user, 'content-type': 'application/json' },
          body: JSON.stringify({
            features: { query_length: 1 + ((i + k) % 7), position: 1 + ((i + k) % 5), price: 20 },
          }),
        });
        await res.body.dump();
        const arm = String(res.headers['x-abgate-arm']);
        arms[arm] = (arms[arm] ?? 0) + 1;
        if (random() < (TRUE_CTR[arm] ?? 0.1)) {
          outcomes.push({ user_id: user, metric: 'click', value: 1, event_id: `${user}-click` });
          const revenue =
            Math.round(REVENUE_PER_CLICK * Math.exp(0.5 * (random() + random() + random() - 1.5)) * 100) /
            100;
          outcomes.push({ user_id: user, metric: 'revenue', value: revenue, event_id: `${user}-rev` });
        }
      }),
    );
  }
  for (let i = 0; i < outcomes.length; i += 500) {
    const res = await request(`${base}/api/v1/outcomes`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(outcomes.slice(i, i + 500)),
    });
    await res.body.dump();
  }
  console.log(
    `routed: ${Object.entries(arms)
      .map(([a, n]) => `${a} ${n}`)
      .join(', ')}; posted ${outcomes.length} outcome events`,
  );
  console.log(`true click-through: control ${TRUE_CTR.control}, treatment ${TRUE_CTR.treatment}\n`);
  const report = (await (
    await request(`${base}/api/v1/experiments/ranker-v2/report`, { dispatcher })
  ).body.json()) as Report;
  console.log(reportToTable(report));
  if (values.keep) {
    console.log(`HTML report: ${base}/reports/ranker-v2   (Ctrl-C to stop)`);
    process.once('SIGINT', () => void gateway.close().then(() => process.exit(0)));
    return undefined;
  }
  console.log(
    '(to keep the gateway up and open /reports/ranker-v2 in a browser, run `npm run demo -- --keep`, ' +
      'or `npx abgate demo --keep` where abgate is installed)',
  );
  await dispatcher.close();
  await gateway.close();
  v1.server.close();
  v2.server.close();
  return 0;
}
