// `abgate report --url`: the CLI shows the same numbers as the JSON API for the same data.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/reports/build-report.js';
import { MemoryEventStore } from '../../src/store/memory-event-store.js';
import { runCli } from '../helpers/cli.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { NO_UPSTREAMS, twoArmExperiment } from '../helpers/experiments.js';
import { deadUrl } from '../helpers/upstream.js';

/** ABGATE_API_TOKEN of the gateway (tokens need at least 16 characters). */
const TOKEN = 'cli-report-token-0123456789';
let gw: TestGateway;
beforeAll(async () => {
  const store = new MemoryEventStore();
  gw = await startGateway(
    [
      twoArmExperiment('cli', NO_UPSTREAMS, {
        metrics: [{ name: 'spend', type: 'continuous', direction: 'decrease' }],
      }),
    ],
    { apiToken: TOKEN },
    { store },
  );
  const records = [];
  // Enough users that the default sequential analysis calls the +1 difference (it needs more than
  // a single fixed look would).
  for (let i = 0; i < 1000; i++) {
    const arm = i % 2 ? 'treatment' : 'control';
    store.recordExposure({ experiment: 'cli', arm, userId: `u${i}`, timestamp: 0 });
    records.push({
      userId: `u${i}`,
      metric: 'spend',
      value: (i % 7) + (arm === 'treatment' ? 1 : 0),
      timestamp: 0,
      targets: [{ experiment: 'cli', metricType: 'continuous' as const }],
    });
  }
  await store.recordOutcomes(records);
});
afterAll(() => gw.close());

describe('abgate report', () => {
  it('prints the same report as the API, as JSON, CSV and a table', async () => {
    const api = (await (
      await request(`${gw.url}/api/v1/experiments/cli/report`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).body.json()) as Report;
    const json = await runCli(['report', 'cli', '--url', gw.url, '--format', 'json'], {
      ABGATE_API_TOKEN: TOKEN,
    });
    expect(json.code, json.stderr).toBe(0);
    const cli = JSON.parse(json.stdout) as Report;
    expect({ ...cli, generated_at: '' }).toEqual({ ...api, generated_at: '' });

    const table = await runCli(['report', 'cli', '--url', gw.url, '--token', TOKEN]);
    expect(table.code, table.stderr).toBe(0);
    const cmp = api.metrics[0]!.comparisons[0]!;
    expect(table.stdout).toContain(`treatment raises spend by ${(cmp.relative_lift! * 100).toFixed(1)}%`);
    expect(table.stdout).toContain('a regression');

    const csv = await runCli(['report', 'cli', '--url', gw.url, '--token', TOKEN, '--format', 'csv']);
    expect(csv.stdout.split('\r\n')[2]).toContain(String(cmp.p_value));
  });

  it('fails clearly without a token, with a bad format, or with no source', async () => {
    const noToken = await runCli(['report', 'cli', '--url', gw.url], { ABGATE_API_TOKEN: '' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('answered 401');
    expect(noToken.stderr).toContain('--token or ABGATE_API_TOKEN');
    const bad = await runCli(['report', 'cli', '--format', 'xml']);
    expect(bad.code).toBe(2);
    const nowhere = await runCli(['report', 'cli'], { REDIS_URL: '' });
    expect(nowhere.stderr).toContain('give --url');
  });

  it('says what is wrong with a --url that is not a gateway', async () => {
    const notUrl = await runCli(['report', 'cli', '--url', 'localhost:8080']);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain('--url "localhost:8080" must be an http:// or https:// URL');
    const refused = await runCli(['report', 'cli', '--url', await deadUrl()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+: connection refused/,
    );
    const other = createServer((_req, res) =>
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>no</h1>'),
    );
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      const r = await runCli(['report', 'cli', '--url', url]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `${url} answered 404 to GET ${url}/api/v1/experiments/cli/report without an abgate report`,
      );
      expect(r.stderr).not.toContain('undefined');
    } finally {
      other.close();
    }
  });
});
