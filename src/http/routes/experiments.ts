// Experiment API: list, definition as loaded, and the report (JSON or CSV).
import { Hono } from 'hono';
import { ApiError } from '../../errors/api-error.js';
import type { CompiledExperiment } from '../../routing/compiled-experiment.js';
import { buildReport, type Report } from '../../reports/build-report.js';
import { reportToCsv } from '../../reports/csv.js';
import type { Services } from '../../services.js';
import type { AppEnv } from '../env.js';
import type { ExperimentDefinition } from '../../config/experiment-schema.js';
import { redactUrl } from '../../security/redact-url.js';

export function findExperiment(services: Services, id: string): CompiledExperiment {
  const exp = services.catalog.byId.get(id);
  if (!exp) throw new ApiError('experiment_not_found', `no experiment "${id}"`);
  return exp;
}

/** The report of experiment `id`: 404 when unknown, 503 when the store cannot be read. */
export async function reportOf(services: Services, id: string): Promise<Report> {
  const exp = findExperiment(services, id);
  try {
    return await buildReport(exp.definition, services.store, services.now);
  } catch (err) {
    throw new ApiError(
      'store_unavailable',
      `the event store cannot be read right now (${err instanceof Error ? err.message : String(err)}); try again shortly`,
    );
  }
}

/** A definition as shown by the API: credentials in upstream URLs hidden (`http://user:***@host/…`). */
export function shownDefinition(d: ExperimentDefinition): ExperimentDefinition {
  return { ...d, arms: d.arms.map((a) => ({ ...a, upstream: redactUrl(a.upstream) })) };
}

export const experimentRoutes = new Hono<AppEnv>()
  .get('/api/v1/experiments', async (c) => {
    const { catalog, store } = c.var.services;
    const experiments = await Promise.all(
      catalog.list().map(async (exp) => {
        const d = exp.definition;
        const agg = await store
          .readAggregates({ experiment: d.id, arms: d.arms.map((a) => a.name), metrics: [] })
          .catch(() => undefined);
        return {
          id: d.id,
          description: d.description,
          status: d.status,
          route: d.route.path,
          traffic: d.traffic,
          arms: d.arms.map((a) => ({
            name: a.name,
            weight: a.weight,
            control: a.control,
            exposures: agg?.arms.find((x) => x.arm === a.name)?.exposures ?? null,
          })),
          exposures: agg ? agg.arms.reduce((n, a) => n + a.exposures, 0) : null,
          metrics: d.metrics.map((m) => m.name),
        };
      }),
    );
    return c.json({ experiments });
  })
  .get('/api/v1/experiments/:id', (c) =>
    c.json(shownDefinition(findExperiment(c.var.services, c.req.param('id')).definition)),
  )
  .get('/api/v1/experiments/:id/report', async (c) => {
    const services = c.var.services;
    const format = c.req.query('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') {
      throw new ApiError('bad_request', `format must be json or csv, not "${format}"`);
    }
    const report = await reportOf(services, c.req.param('id'));
    if (format === 'csv') {
      return c.body(reportToCsv(report), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${report.experiment}-report.csv"`,
      });
    }
    return c.json(report);
  });
