// `abgate report <experiment>`: a report from a running gateway (--url) or straight from Redis.
import { request } from 'undici';
import { loadExperiments } from '../config/load-experiments.js';
import { loadSettings } from '../config/settings.js';
import { buildReport, type Report } from '../reports/build-report.js';
import { reportToCsv } from '../reports/csv.js';
import { reportToTable } from '../reports/table.js';
import type { AggregateQuery } from '../store/event-store.js';
import { readAggregatesFrom } from '../store/redis/read-aggregates-from.js';
import { parse, UsageError } from './args.js';

export const REPORT_USAGE = `abgate report <experiment> [--format table|json|csv] [--url URL | --redis URL] [--experiments DIR] [--token T]
  --url    read from a running gateway (token: --token or ABGATE_API_TOKEN)
  --redis  read from Redis directly (default REDIS_URL), with definitions from --experiments`;

async function fromGateway(url: string, id: string, token: string | undefined): Promise<Report> {
  const res = await request(`${url.replace(/\/$/, '')}/api/v1/experiments/${encodeURIComponent(id)}/report`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
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
  args: { redis: string; experiments: string | undefined },
  id: string,
): Promise<Report> {
  const settings = loadSettings(process.env, { redisUrl: args.redis, experimentsDir: args.experiments });
  const loaded = await loadExperiments(settings.experimentsDir);
  const def = loaded.find((l) => l.definition.id === id)?.definition;
  if (!def) throw new UsageError(`no experiment "${id}" in ${settings.experimentsDir}`);
  const reader = { readAggregates: (query: AggregateQuery) => readAggregatesFrom(settings.redisUrl!, query) };
  try {
    return await buildReport(def, reader, Date.now);
  } catch (err) {
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
  if (values.url) report = await fromGateway(values.url, id, values.token ?? process.env.ABGATE_API_TOKEN);
  else if (redis) report = await fromRedis({ redis, experiments: values.experiments }, id);
  else throw new UsageError(`give --url of a running gateway, or --redis / REDIS_URL\n${REPORT_USAGE}`);
  process.stdout.write(
    format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : format === 'csv'
        ? reportToCsv(report)
        : reportToTable(report),
  );
  return 0;
}
