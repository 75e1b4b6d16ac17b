// Liveness (/healthz) and readiness (/readyz, with event-store details) probes.
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';

export const healthRoutes = new Hono<AppEnv>()
  .get('/healthz', (c) => c.json({ status: 'ok' }))
  .get('/readyz', (c) => {
    const { store, catalog, registry } = c.var.services;
    const s = store.status();
    // The gateway stays ready without its store: assignment is pure and events queue.
    return c.json({
      status: 'ready',
      pid: process.pid,
      experiments: catalog.routes.size,
      store: {
        ...s,
        status: s.connected ? 'up' : 'down',
      },
      // Live state: its store, files that fail to load (previous definition kept), live/file conflicts.
      live: registry.status(),
    });
  });
