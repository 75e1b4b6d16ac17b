// GET /reports/:id: the self-contained HTML report for analysts.
import { Hono } from 'hono';
import { buildReport } from '../../reports/build-report.js';
import { reportToHtml } from '../../reports/html.js';
import type { AppEnv } from '../env.js';
import { findExperiment, storeUnavailable } from './experiments.js';

export const reportPageRoutes = new Hono<AppEnv>().get('/reports/:id', async (c) => {
  const services = c.var.services;
  const exp = findExperiment(services, c.req.param('id'));
  const report = await buildReport(exp.definition, services.store, services.now).catch((err: unknown) => {
    throw storeUnavailable(err);
  });
  return c.html(reportToHtml(report), 200, {
    // Self-contained: nothing may load from elsewhere, and no script runs.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
  });
});
