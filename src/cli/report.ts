// `abgate report <experiment>`: a report from a running gateway (--url) or straight from Redis.
import { request } from 'undici';
import { loadExperiments } from '../config/load-experiments.js';
import { loadSettings } from '../config/settings.js';
import { buildReport, type Report } from '../reports/build-report.js';
import { reportToCsv } from '../reports/csv.js';
import { reportToTable } from '../reports/table.js';
import type { AggregateQuery } from '../store/event-store.js';
import { readAggregatesFrom } from '../store/redis/read-aggregates-from.js';
import { effectiveDefinition } from '../control/effective-definition.js';
import { readLiveStateFrom } from '../control/redis-live-backend.js';
import { phaseReportInput } from '../control/report-phase.js';
import { compileExperiment } from '../routing/compiled-experiment.js';
import { parse, UsageError } from './args.js';

export const REPORT_USAGE = `abgate report <experiment> [--format table|json|csv] [--url URL | --redis URL] [--experiments DIR] [--token T] [--phase N]
  --url    read from a running gateway (token: --token or ABGATE_API_TOKEN)
  --redis  read from Redis directly (default REDIS_URL), with definitions from --experiments
  --phase  an earlier allocation phase (default: the current one)`;

async function fromGateway(
  url: string,
  id: string,
  token: string | undefined,
  phase: string | undefined,
): Promise<Report> {
  const query = phase === undefined ? '' : `?phase=${encodeURIComponent(phase)}`;
  const res = await request(
    `${url.replace(/\/$/, '')}/api/v1/experiments/${encodeURIComponent(id)}/report${query}`,
    {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    },
  );
  const body = (await res.body.json()) as Report | { error: { message: string } };
  if (res.statusCode !== 200) {
    throw new UsageError(
      `${url} answered ${res.statusCode}: ${'error' in body ? body.error.message : 'error'}`,
    );
  }
  return body as Report;
}

/** Reads Redis directly and read-only: no queue, no journal, nothing claimed from running gateways. */
async function fromRedis(
  args: { redis: string; experiments: string | undefined; phase: string | undefined },
  id: string,
): Promise<Report> {
  const settings = loadSettings(process.env, { redisUrl: args.redis, experimentsDir: args.experiments });
  const loaded = await loadExperiments(settings.experimentsDir);
  const def = loaded.find((l) => l.definition.id === id)?.definition;
  if (!def) throw new UsageError(`no experiment "${id}" in ${settings.experimentsDir}`);
  const reader = { readAggregates: (query: AggregateQuery) => readAggregatesFrom(settings.redisUrl!, query) };
  const phase = args.phase === undefined ? undefined : Number(args.phase);
  if (phase !== undefined && !(Number.isInteger(phase) && phase >= 1)) {
    throw new UsageError(`--phase must be a whole number from 1, not "${args.phase}"`);
  }
  try {
    // The live state (status, traffic, weights, phase) overrides the file, as on the gateways.
    const live = await readLiveStateFrom(settings.redisUrl!, id);
    const exp = live ? compileExperiment(effectiveDefinition(def, live), live) : compileExperiment(def);
    const input = phaseReportInput(exp, phase);
    if (!input)
      throw new UsageError(`experiment "${id}" has no phase ${phase}; its phases are 1 to ${exp.phase}`);
    return await buildReport(input.definition, reader, Date.now, { phase: input.phase, state: input.state });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `cannot read ${settings.redisUrl}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export async function reportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    format: { type: 'string', default: 'table' },
    url: { type: 'string' },
    redis: { type: 'string' },
    experiments: { type: 'string' },
    token: { type: 'string' },
    phase: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(REPORT_USAGE);
    return 0;
  }
  const id = positionals[0];
  if (!id) throw new UsageError(`which experiment?\n${REPORT_USAGE}`);
  const format = values.format;
  if (format !== 'table' && format !== 'json' && format !== 'csv') {
    throw new UsageError(`--format must be table, json or csv, not "${format}"`);
  }
  const redis = values.redis ?? process.env.REDIS_URL;
  let report: Report;
  if (values.url) {
    report = await fromGateway(values.url, id, values.token ?? process.env.ABGATE_API_TOKEN, values.phase);
  } else if (redis) {
    report = await fromRedis({ redis, experiments: values.experiments, phase: values.phase }, id);
  } else throw new UsageError(`give --url of a running gateway, or --redis / REDIS_URL\n${REPORT_USAGE}`);
  process.stdout.write(
    format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : format === 'csv'
        ? reportToCsv(report)
        : reportToTable(report),
  );
  return 0;
}
