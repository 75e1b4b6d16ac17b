// Experiment API: list, definition as loaded, and the report (JSON or CSV).
import { Hono } from 'hono';
import { ApiError } from '../../errors/api-error.js';
import { phaseReportInput } from '../../control/report-phase.js';
import type { CompiledExperiment } from '../../routing/compiled-experiment.js';
import { buildReport, type Report } from '../../reports/build-report.js';
import { reportToCsv } from '../../reports/csv.js';
import type { Services } from '../../services.js';
import type { AppEnv } from '../env.js';
import type { ExperimentDefinition } from '../../config/experiment-schema.js';
import { redactUrl } from '../../security/redact-url.js';
import { rolloutView } from '../../control/rollout-view.js';

export function findExperiment(services: Services, id: string): CompiledExperiment {
  const exp = services.catalog.byId.get(id);
  if (!exp) throw new ApiError('experiment_not_found', `no experiment "${id}"`);
  return exp;
}

/** The experiment as the API shows it: its effective definition and its live state. */
/** An experiment as the API shows it: the effective definition (upstream credentials redacted) and its live state. */
export function experimentView(services: Services, exp: CompiledExperiment) {
  return { ...shownDefinition(exp.definition), live: services.registry.view(exp.id) ?? null };
}

/** Strong ETag of an experiment: its live state version (what If-Match names). */
export function etagOf(exp: CompiledExperiment): string {
  return `"${exp.live?.version ?? 0}"`;
}

/**
 * The report of experiment `id` for `phase` (a query value; default the current phase): 404 when
 * unknown, 400 for a phase it does not have, 503 when the store cannot be read.
 */
export async function reportOf(services: Services, id: string, phase?: string): Promise<Report> {
  const exp = findExperiment(services, id);
  const wanted = phase === undefined ? undefined : Number(phase);
  if (wanted !== undefined && !(Number.isInteger(wanted) && wanted >= 1)) {
    throw new ApiError('bad_request', `phase must be a whole number from 1, not "${phase}"`);
  }
  const input = phaseReportInput(exp, wanted);
  if (!input) {
    throw new ApiError(
      'bad_request',
      `experiment "${id}" has no phase ${phase}; its phases are 1 to ${exp.phase}`,
    );
  }
  try {
    const report = await buildReport(input.definition, services.store, services.now, {
      phase: input.phase,
      state: input.state,
    });
    if (exp.definition.rollout && input.phase === exp.phase) {
      // The canary's progress is shown when its store answers; the report itself never waits on it.
      const status = await services.rollouts.status(id).catch(() => undefined);
      const rollout = status && rolloutView(exp, report, status.progress, status.driver);
      if (rollout) report.rollout = rollout;
    }
    return report;
  } catch (err) {
    throw new ApiError(
      'store_unavailable',
      `the event store cannot be read right now (${err instanceof Error ? err.message : String(err)}); try again shortly`,
    );
  }
}

/** A definition as shown by the API: credentials in upstream URLs hidden (`http://user:***@host/…`). */
export function shownDefinition(d: ExperimentDefinition): ExperimentDefinition {
  return {
    ...d,
    arms: d.arms.map((a) => ({ ...a, upstream: redactUrl(a.upstream) })),
    shadow_arms: d.shadow_arms.map((a) => ({ ...a, upstream: redactUrl(a.upstream) })),
  };
}

export const experimentRoutes = new Hono<AppEnv>()
  .get('/api/v1/experiments', async (c) => {
    const { catalog, store } = c.var.services;
    const experiments = await Promise.all(
      catalog.list().map(async (exp) => {
        const d = exp.definition;
        const agg = await store
          .readAggregates({
            experiment: d.id,
            phase: exp.phase,
            arms: d.arms.map((a) => a.name),
            metrics: [],
          })
          .catch(() => undefined);
        return {
          id: d.id,
          description: d.description,
          status: d.status,
          route: d.route.path,
          traffic: d.traffic,
          version: exp.live?.version ?? 0,
          phase: exp.phase,
          ...(d.winner !== undefined ? { winner: d.winner } : {}),
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
  .get('/api/v1/experiments/:id', (c) => {
    const exp = findExperiment(c.var.services, c.req.param('id'));
    c.header('etag', etagOf(exp));
    return c.json(experimentView(c.var.services, exp));
  })
  .get('/api/v1/experiments/:id/report', async (c) => {
    const services = c.var.services;
    const format = c.req.query('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') {
      throw new ApiError('bad_request', `format must be json or csv, not "${format}"`);
    }
    const report = await reportOf(services, c.req.param('id'), c.req.query('phase'));
    if (format === 'csv') {
      return c.body(reportToCsv(report), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="${report.experiment}-report.csv"`,
      });
    }
    return c.json(report);
  });
