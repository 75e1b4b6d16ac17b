// Liveness (/healthz) and readiness (/readyz, with event-store details) probes, and the KServe v2
// (Open Inference Protocol) server health endpoints when an experiment route is under /v2.
import { Hono } from 'hono';
import { ApiError } from '../../errors/api-error.js';
import type { UpstreamReadiness } from '../../gateway/upstream-warmup.js';
import type { Services } from '../../services.js';
import type { AppEnv } from '../env.js';

/** Whether a routed experiment speaks the Open Inference Protocol (its route is under /v2/). */
function servesV2(services: Services): boolean {
  return services.catalog.list().some((e) => {
    const { status, route } = e.definition;
    return (status === 'running' || status === 'paused') && route.path.startsWith('/v2/');
  });
}

/** `upstreams`: the warm-up of the arm upstreams; /readyz answers 503 until it is over. */
export const healthRoutes = (upstreams: UpstreamReadiness) =>
  new Hono<AppEnv>()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', (c) => {
      const { store, catalog, registry } = c.var.services;
      const s = store.status();
      // The gateway stays ready without its store: assignment is pure and events queue. It is not ready
      // until the connections to its upstreams are open (or their warm-up timed out).
      return c.json(
        {
          status: upstreams.ready ? 'ready' : 'warming_up',
          upstreams: upstreams.state(),
          pid: process.pid,
          experiments: catalog.routes.size,
          store: {
            ...s,
            status: s.connected ? 'up' : 'down',
          },
          // Live state: its store, files that fail to load (previous definition kept), live/file conflicts.
          live: registry.status(),
        },
        upstreams.ready ? 200 : 503,
      );
    })
    // Open Inference Protocol server health: the gateway answers for itself (each model's own
    // readiness, GET /v2/models/<name>/ready, goes to the experiment's control arm).
    .get('/v2/health/live', (c) => {
      if (!servesV2(c.var.services)) throw notV2(c.req.path);
      return c.json({ live: true });
    })
    .get('/v2/health/ready', (c) => {
      if (!servesV2(c.var.services)) throw notV2(c.req.path);
      return c.json({ ready: true });
    });

function notV2(path: string): ApiError {
  return new ApiError('not_found', `no route for GET ${path}: no experiment route is under /v2/`);
}
