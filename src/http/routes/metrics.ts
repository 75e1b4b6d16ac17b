// Prometheus scrape endpoint.
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';

export const metricsRoutes = new Hono<AppEnv>().get('/metrics', async (c) => {
  const { metrics } = c.var.services;
  return c.body(await metrics.render(), 200, { 'content-type': metrics.contentType() });
});
