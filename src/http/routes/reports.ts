// The analyst's pages: /reports/ lists the experiments, /reports/:id is the self-contained report.
import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { reportToHtml } from '../../reports/html.js';
import { experimentListHtml, type ExperimentListItem } from '../../reports/pages.js';
import type { Services } from '../../services.js';
import type { AppEnv } from '../env.js';
import { SESSION_COOKIE } from '../report-session.js';
import { reportOf } from './experiments.js';

// Self-contained: nothing may load from elsewhere, and no script runs.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'",
};

/** Opened through the login cookie (not a bearer token): the page offers to log out. */
function withSession(c: Context<AppEnv>): boolean {
  return getCookie(c, SESSION_COOKIE) !== undefined && c.req.header('authorization') === undefined;
}

async function listItems(services: Services): Promise<ExperimentListItem[]> {
  const { catalog, store } = services;
  return Promise.all(
    catalog.list().map(async (exp) => {
      const d = exp.definition;
      const agg = await store
        .readAggregates({ experiment: d.id, phase: exp.phase, arms: d.arms.map((a) => a.name), metrics: [] })
        .catch(() => undefined);
      return {
        id: d.id,
        description: d.description,
        status: d.status,
        phase: exp.phase,
        traffic: d.traffic,
        users: agg ? agg.arms.reduce((n, a) => n + a.exposures, 0) : null,
      };
    }),
  );
}

const list = async (c: Context<AppEnv>) =>
  c.html(experimentListHtml(await listItems(c.var.services), { logout: withSession(c) }), 200, PAGE_HEADERS);

export const reportPageRoutes = new Hono<AppEnv>()
  .get('/reports', list)
  .get('/reports/', list)
  .get('/reports/:id', async (c) => {
    // Experiment ids never start with "_": those are the login routes, answered elsewhere.
    if (c.req.param('id').startsWith('_')) return c.notFound();
    const report = await reportOf(c.var.services, c.req.param('id'), c.req.query('phase'));
    return c.html(reportToHtml(report, { logout: withSession(c) }), 200, PAGE_HEADERS);
  });
