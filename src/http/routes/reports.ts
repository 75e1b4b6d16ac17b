// GET /reports/:id: the self-contained HTML report for analysts.
import { Hono } from 'hono';
import { reportToHtml } from '../../reports/html.js';
import type { AppEnv } from '../env.js';
import { reportOf } from './experiments.js';

export const reportPageRoutes = new Hono<AppEnv>().get('/reports/:id', async (c) => {
  const report = await reportOf(c.var.services, c.req.param('id'), c.req.query('phase'));
  return c.html(reportToHtml(report), 200, {
    // Self-contained: nothing may load from elsewhere, and no script runs.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
  });
});
