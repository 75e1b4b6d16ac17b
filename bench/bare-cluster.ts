// The bare reference proxy (bench/bare-proxy.ts) in N processes behind node:cluster, as
// `abgate serve --workers N` runs: the reference for how abgate scales with workers.
//
//   node --import tsx bench/bare-cluster.ts --upstream URL --port P [--processes 2] [--api request|dispatch]
//
// The primary forks the workers, waits until each listens on the shared port, then reports {"port": P}
// over IPC (when forked) and on stdout. SIGTERM stops the workers, then the primary.
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { startBareProxy, type BareApi } from './bare-proxy.js';

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    processes: { type: 'string', default: '2' },
    api: { type: 'string', default: 'request' },
  },
});
if (!values.upstream || !values.port) throw new Error('--upstream URL and --port P are required');
const port = Number(values.port);

if (cluster.isPrimary) {
  const n = Number(values.processes);
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === n) {
      console.log(JSON.stringify({ port }));
      process.send?.({ port });
    }
  });
  for (let i = 0; i < n; i++) cluster.fork();
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 500).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} else {
  const proxy = await startBareProxy(values.upstream, port, values.host, values.api as BareApi);
  process.once('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
}
