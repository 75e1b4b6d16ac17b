// `abgate report <experiment>`: a report from a running gateway (--url) or straight from Redis.
import { connect } from 'node:net';
import { request } from 'undici';
import { loadExperiments } from '../config/load-experiments.js';
import { loadSettings } from '../config/settings.js';
import { buildReport, type Report } from '../reports/build-report.js';
import { reportToCsv } from '../reports/csv.js';
import { reportToTable } from '../reports/table.js';
import { openRedisReader } from '../store/redis/read-aggregates-from.js';
import { effectiveDefinition } from '../control/effective-definition.js';
import { readLiveStateFrom } from '../control/redis-live-backend.js';
import { phaseReportInput } from '../control/report-phase.js';
import { compileExperiment } from '../routing/compiled-experiment.js';
import { CommandError, parse, UsageError } from './args.js';

export const REPORT_USAGE = `abgate report <experiment> [--format table|json|csv] [--url URL | --redis URL | --redis-cluster NODES] [--experiments DIR] [--token T] [--phase N]
  --url    read from a running gateway, e.g. http://localhost:8080 (token: --token or ABGATE_API_TOKEN)
  --redis  read from Redis directly (default REDIS_URL), with definitions from --experiments
  --redis-cluster  read from a Redis Cluster directly: seed nodes host:port,host:port,… (default ABGATE_REDIS_CLUSTER)
  --phase  an earlier allocation phase (default: the current one)
exit 1 when the gateway or Redis cannot be read, 2 on wrong usage`;

/** Longest wait for a gateway or Redis to answer. */
const TIMEOUT_MS = 10_000;

/** A connection failure in words, from its error code. */
function describeConnectError(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (ECONNREFUSED): is it running, on this host and port?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve (${code})`;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `no answer within ${TIMEOUT_MS / 1000} s (${code})`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `the connection was closed (${code})`;
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

function gatewayUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--url "${text}" is not a URL; give the gateway's base URL, e.g. http://localhost:8080`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url "${text}" must be an http:// or https:// URL of the gateway`);
  }
  return url;
}

async function fromGateway(
  base: string,
  id: string,
  token: string | undefined,
  phase: string | undefined,
): Promise<Report> {
  const url = gatewayUrl(base);
  const query = phase === undefined ? '' : `?phase=${encodeURIComponent(phase)}`;
  const target = `${url.origin}${url.pathname.replace(/\/$/, '')}/api/v1/experiments/${encodeURIComponent(id)}/report${query}`;
  let res;
  try {
    res = await request(target, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
  } catch (err) {
    throw new CommandError(`cannot reach the gateway at ${url.origin}: ${describeConnectError(err)}`);
  }
  const text = await res.body.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.statusCode === 200 && typeof body === 'object' && body !== null && 'experiment' in body) {
    return body as Report;
  }
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  if (typeof message === 'string') {
    const hint = res.statusCode === 401 ? ' (give the API token with --token or ABGATE_API_TOKEN)' : '';
    throw new CommandError(`${url.origin} answered ${res.statusCode}: ${message}${hint}`);
  }
  throw new CommandError(
    `${url.origin} answered ${res.statusCode} to GET ${target} without an abgate report or error: ` +
      'is --url the base URL of an abgate gateway?',
  );
}

/** Opens and closes a TCP connection, so "unreachable" can be told apart from other failures. */
function probe(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
    });
    socket.once('error', reject);
  });
}

/** Reads Redis (or a Redis Cluster) directly and read-only: no queue, no journal, nothing claimed from running gateways. */
async function fromRedis(
  args: {
    redis: string | undefined;
    cluster: string | undefined;
    experiments: string | undefined;
    phase: string | undefined;
  },
  id: string,
): Promise<Report> {
  const settings = loadSettings(process.env, {
    ...(args.cluster ? { redisCluster: args.cluster } : { redisUrl: args.redis }),
    experimentsDir: args.experiments,
  });
  const loaded = await loadExperiments(settings.experimentsDir);
  const def = loaded.find((l) => l.definition.id === id)?.definition;
  if (!def) {
    throw new UsageError(
      `no experiment "${id}" in ${settings.experimentsDir} (the definitions come from --experiments or ABGATE_EXPERIMENTS)`,
    );
  }
  const clusterNodes = args.cluster ? settings.redisCluster : undefined;
  const redisUrl = clusterNodes ? undefined : settings.redisUrl!;
  let where: string;
  if (clusterNodes) {
    where = `the Redis Cluster of ${clusterNodes}`;
  } else {
    const { hostname, port } = new URL(redisUrl!);
    where = `Redis at ${hostname}:${port || 6379}`;
    try {
      await probe(hostname.replace(/^\[|\]$/g, ''), Number(port || 6379));
    } catch (err) {
      throw new CommandError(`cannot connect to ${where}: ${describeConnectError(err)}`);
    }
  }
  const phase = args.phase === undefined ? undefined : Number(args.phase);
  if (phase !== undefined && !(Number.isInteger(phase) && phase >= 1)) {
    throw new UsageError(`--phase must be a whole number from 1, not "${args.phase}"`);
  }
  let reader: Awaited<ReturnType<typeof openRedisReader>> | undefined;
  if (clusterNodes) {
    try {
      reader = await openRedisReader(undefined, { clusterNodes });
    } catch (err) {
      throw new CommandError(
        `cannot connect to ${where}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  try {
    reader ??= await openRedisReader(redisUrl);
    // The live state (status, traffic, weights, phase) overrides the file, as on the gateways.
    const live = await readLiveStateFrom(redisUrl, id, clusterNodes ? { clusterNodes } : {});
    const exp = live ? compileExperiment(effectiveDefinition(def, live), live) : compileExperiment(def);
    const input = phaseReportInput(exp, phase);
    if (!input) {
      throw new UsageError(`experiment "${id}" has no phase ${phase}; its phases are 1 to ${exp.phase}`);
    }
    return await buildReport(input.definition, reader, Date.now, { phase: input.phase, state: input.state });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new CommandError(
      `${where} accepted the connection but the read failed (${
        err instanceof Error ? err.message : String(err)
      }): check the password, TLS (rediss://) and database in the URL`,
    );
  } finally {
    await reader?.close();
  }
}

export async function reportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    format: { type: 'string', default: 'table' },
    url: { type: 'string' },
    redis: { type: 'string' },
    'redis-cluster': { type: 'string' },
    experiments: { type: 'string' },
    token: { type: 'string' },
    phase: { type: 'string' },
  });
  const id = positionals[0];
  if (!id) throw new UsageError('which experiment? abgate report <experiment>');
  const format = values.format;
  if (format !== 'table' && format !== 'json' && format !== 'csv') {
    throw new UsageError(`--format must be table, json or csv, not "${format}"`);
  }
  // A flag wins over either environment variable; of the two variables, the cluster wins (as in serve).
  const fromFlag = values.redis !== undefined || values['redis-cluster'] !== undefined;
  const redis = fromFlag ? values.redis : process.env.REDIS_URL;
  const cluster = fromFlag ? values['redis-cluster'] : process.env.ABGATE_REDIS_CLUSTER;
  let report: Report;
  if (values.url) {
    report = await fromGateway(values.url, id, values.token ?? process.env.ABGATE_API_TOKEN, values.phase);
  } else if (redis || cluster) {
    report = await fromRedis({ redis, cluster, experiments: values.experiments, phase: values.phase }, id);
  } else {
    throw new UsageError(
      'give --url of a running gateway, or --redis / REDIS_URL, or --redis-cluster / ABGATE_REDIS_CLUSTER',
    );
  }
  process.stdout.write(
    format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : format === 'csv'
        ? reportToCsv(report)
        : reportToTable(report),
  );
  return 0;
}
