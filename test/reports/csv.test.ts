// The CSV export parses (RFC 4180) and carries on every row what decides whether it can be trusted:
// SRM, direction, alpha, correction, analysis, state, phase, generated-at; guardrails and the
// canary's progress when there is one.
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, reportToCsv } from '../../src/reports/csv.js';
import { csvRecords, parseCsv } from './csv-parse.js';
import { dailyReport, rolloutFixture } from './fixtures.js';

describe('report CSV', () => {
  it('parses, one row per metric and arm, with the experiment-level facts on each', async () => {
    const report = await dailyReport();
    const rows = csvRecords(reportToCsv(report));
    expect(parseCsv(reportToCsv(report))[0]).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(report.metrics.length * 2);
    const treatment = rows.find((r) => r.metric === 'conversion' && r.arm === 'treatment')!;
    const cmp = report.metrics[0]!.comparisons[0]!;
    expect(Number(treatment.p_value_adjusted)).toBe(cmp.p_value_adjusted);
    expect(treatment).toMatchObject({
      row_type: 'metric',
      direction: 'increase',
      significant: 'true',
      alpha: '0.05',
      correction: 'holm',
      analysis: 'sequential',
      srm_mismatch: 'false',
      state: 'running',
      phase: '1',
      phase_started_at: '2026-11-01T08:00:00.000Z',
      generated_at: report.generated_at,
      expected_share: '0.5',
      observed_share: '0.5',
      rollout_state: '',
    });
    expect(Number(treatment.srm_p_value)).toBe(report.srm.p_value);
    const errors = rows.filter((r) => r.metric === 'abgate_errors');
    expect(errors.map((r) => r.row_type)).toEqual(['guardrail', 'guardrail']);
    expect(errors.map((r) => r.direction)).toEqual(['decrease', 'decrease']);
  });

  it('marks every row of a report with a sample ratio mismatch', async () => {
    const report = await dailyReport({ controlShare: 0.6 });
    const rows = csvRecords(reportToCsv(report));
    expect(rows.every((r) => r.srm_mismatch === 'true')).toBe(true);
    expect(Number(rows[0]!.srm_p_value)).toBeLessThan(0.001);
    expect(Number(rows.find((r) => r.arm === 'control')!.observed_share)).toBeCloseTo(0.6, 10);
  });

  it('carries the rollout progress and its guardrail checks as rows', async () => {
    const rollout = rolloutFixture({
      last_check: {
        at: '2026-11-10T09:00:00.000Z',
        verdict: 'rollback',
        reasons: ['latency "p99", up 18%', 'second\nline'],
      },
    });
    const report = { ...(await dailyReport()), rollout };
    const rows = csvRecords(reportToCsv(report));
    expect(rows[0]).toMatchObject({
      rollout_state: 'stepping',
      rollout_step: '2',
      rollout_steps: '1;5;25;50',
      rollout_traffic: '5',
      rollout_next_check_at: '2026-11-10T09:10:00.000Z',
      rollout_last_verdict: 'rollback',
      rollout_last_reasons: 'latency "p99", up 18%; second\nline',
    });
    const checks = rows.filter((r) => r.row_type === 'rollout_guardrail');
    expect(checks.map((r) => [r.metric, r.guardrail_status, r.guardrail_bound])).toEqual([
      ['abgate_errors', 'ok', '0.0031'],
      ['abgate_latency_ms', 'breached', '0.121'],
    ]);
  });

  it('quotes cells a spreadsheet would run as formulas', async () => {
    const report = await dailyReport({ days: 1 });
    const csv = reportToCsv({ ...report, experiment: '=HYPERLINK("x")' });
    expect(csvRecords(csv)[0]!.experiment).toBe('\'=HYPERLINK("x")');
  });
});

describe('report CSV warnings', () => {
  it('names the arm of each warning: a comparison carries its control’s as well as its own', async () => {
    const report = await dailyReport({ days: 1, usersPerDay: 0 });
    const rows = csvRecords(reportToCsv(report));
    const treatment = rows.find((r) => r.metric === 'conversion' && r.arm === 'treatment')!;
    expect(treatment.warnings).toBe('empty_arm(control);empty_arm(treatment)');
  });

  it('prints each warning once', async () => {
    const report = await dailyReport({ days: 1, usersPerDay: 100 });
    const rows = csvRecords(reportToCsv(report));
    for (const r of rows) {
      const cells = r.warnings === '' ? [] : r.warnings!.split(';');
      expect(new Set(cells).size).toBe(cells.length);
    }
    const treatment = rows.find((r) => r.metric === 'conversion' && r.arm === 'treatment')!;
    expect(treatment.warnings).toMatch(/^insufficient_data\(control\);insufficient_data\(treatment\)(;|$)/);
  });
});
