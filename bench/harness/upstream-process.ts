// Child process: the demo model server (variant v1) on a free port, the upstream of every configuration.
// Reports {"port": N} over IPC (forked) and on stdout.
import { startModelServer } from '../../src/demo/model-server.js';

const { server, port } = await startModelServer({ variant: 'v1', port: 0, host: '127.0.0.1' });
server.keepAliveTimeout = 65_000;
console.log(JSON.stringify({ port }));
process.send?.({ port });
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
