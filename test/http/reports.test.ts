// Report endpoints in-process: JSON, CSV and HTML agree on the same data; the token guards them.
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/reports/build-report.js';
import { apiExperiment, testApp } from '../helpers/app.js';
import { csvRecords } from '../reports/csv-parse.js';

async function seeded(settings = {}) {
  const t = await testApp([apiExperiment({ description: 'a <b>bold</b> test' })], settings);
  const now = Date.now();
  // 400 users per arm; control converts 10%, treatment 20%; revenue = 2 per converted user.
  for (let i = 0; i < 800; i++) {
    const arm = i % 2 === 0 ? 'control' : 'treatment';
    t.store.recordExposure({ experiment: 'exp', arm, userId: `u${i}`, timestamp: now });
  }
  const records = [];
  for (let i = 0; i < 800; i++) {
    const converts = i % 2 === 0 ? i % 20 === 0 : i % 10 === 1;
    if (!converts) continue;
    const targets = [{ experiment: 'exp', metricType: 'binomial' as const }];
    records.push({ userId: `u${i}`, metric: 'click', value: 1, timestamp: now, targets });
    records.push({
      userId: `u${i}`,
      metric: 'revenue',
      value: 2,
      timestamp: now,
      targets: [{ experiment: 'exp', metricType: 'continuous' as const }],
    });
  }
  await t.store.recordOutcomes(records);
  return t;
}

describe('reports', () => {
  it('serves the JSON report with the documented shape', async () => {
    const { app } = await seeded();
    const res = await app.request('/api/v1/experiments/exp/report');
    expect(res.status).toBe(200);
    const r = (await res.json()) as Report;
    expect(r).toMatchObject({ experiment: 'exp', status: 'running', alpha: 0.05, multiple_arm_users: 0 });
    expect(r.arms).toEqual([
      { name: 'control', weight: 1, control: true, exposures: 400 },
      { name: 'treatment', weight: 1, control: false, exposures: 400 },
    ]);
    const click = r.metrics.find((m) => m.name === 'click')!;
    expect(click.arms.map((a) => a.mean)).toEqual([0.1, 0.2]);
    const cmp = click.comparisons[0]!;
    expect(cmp.arm).toBe('treatment');
    expect(cmp.relative_lift).toBeCloseTo(1, 12);
    expect(cmp.significant).toBe(true);
    expect(Object.keys(cmp).sort()).toEqual(
      [
        'arm',
        'baseline',
        'test',
        'statistic',
        'p_value',
        'p_value_adjusted',
        'significant',
        'diff',
        'diff_ci',
        'relative_lift',
        'relative_lift_ci',
        'ci_level',
        'diff_ci_adjusted',
        'relative_lift_ci_adjusted',
        'ci_level_adjusted',
        'chance_to_beat_control',
        'sample_size_needed',
        'progress',
        'warnings',
      ].sort(),
    );
    expect(r.srm.mismatch).toBe(false);
    expect(typeof r.generated_at).toBe('string');
  });

  it('gives the same numbers as CSV and in the HTML page', async () => {
    const { app } = await seeded();
    const json = (await (await app.request('/api/v1/experiments/exp/report')).json()) as Report;
    const csvRes = await app.request('/api/v1/experiments/exp/report?format=csv');
    expect(csvRes.headers.get('content-type')).toContain('text/csv');
    const rows = csvRecords(await csvRes.text());
    expect(rows).toHaveLength(8); // (2 metrics + 2 built-in guardrails) × 2 arms
    const row = Object.fromEntries(rows.map((r) => [`${r.metric}/${r.arm}`, r]));
    const cmp = json.metrics[0]!.comparisons[0]!;
    expect(Number(row['click/treatment']!.p_value)).toBe(cmp.p_value);
    expect(Number(row['click/treatment']!.relative_lift_ci_low)).toBe(cmp.relative_lift_ci![0]);
    expect(row['click/control']!.p_value).toBe('');
    const html = await (await app.request('/reports/exp')).text();
    expect(html).toContain('treatment raises click by 100.0%');
    expect(html).toContain('a &#60;b&#62;bold&#60;/b&#62; test');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('lists experiments and returns a definition as loaded', async () => {
    const { app } = await seeded();
    const list = (await (await app.request('/api/v1/experiments')).json()) as {
      experiments: { id: string; exposures: number }[];
    };
    expect(list.experiments).toMatchObject([{ id: 'exp', exposures: 800, status: 'running' }]);
    const def = (await (await app.request('/api/v1/experiments/exp')).json()) as {
      salt: string;
      arms: unknown[];
    };
    expect(def.salt).toBe('exp');
    expect((await app.request('/api/v1/experiments/nope')).status).toBe(404);
    expect((await app.request('/api/v1/experiments/exp/report?format=xml')).status).toBe(400);
  });

  it('requires the bearer token when ABGATE_API_TOKEN is set, and only there', async () => {
    const { app, post } = await seeded({ apiToken: 's3cret-0123456789abcdef' });
    // A browser without a token is sent to the login form (reports-login.security.test.ts).
    expect((await app.request('/reports/exp')).status).toBe(303);
    for (const path of [
      '/api/v1/experiments',
      '/api/v1/experiments/exp',
      '/api/v1/experiments/exp/report',
      '/reports/exp',
    ]) {
      if (path.startsWith('/api/')) {
        const none = await app.request(path);
        expect(none.status, path).toBe(401);
        expect(none.headers.get('www-authenticate')).toBe('Bearer realm="abgate"');
        const body = (await none.json()) as { error: { code: string } };
        expect(body.error.code).toBe('unauthorized');
      }
      const wrong = await app.request(path, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const right = await app.request(path, { headers: { authorization: 'Bearer s3cret-0123456789abcdef' } });
      expect(right.status, path).toBe(200);
    }
    expect((await post('/api/v1/assign', { experiment: 'exp', user_id: 'x' })).status).toBe(200);
    expect((await post('/api/v1/outcomes', { user_id: 'u1', metric: 'click' })).status).toBe(202);
  });
});
