// Outcomes the results leave out (unattributed after the grace period, or held for an exposure) are
// shown wherever the report is read: the page, the CSV and the CLI table, not only the JSON.
import { describe, expect, it } from 'vitest';
import { reportToCsv } from '../../src/reports/csv.js';
import { reportToHtml } from '../../src/reports/html.js';
import { reportToTable } from '../../src/reports/table.js';
import { csvRecords } from './csv-parse.js';
import { dailyReport } from './fixtures.js';

/** 10 days with 3 outcomes a day from users never exposed: 27 unattributed, 3 users still held. */
const withStrays = () => dailyReport({ strayOutcomesPerDay: 3 });

describe('outcomes not in the results', () => {
  it('the store counts them (the premise of the tests below)', async () => {
    const report = await withStrays();
    expect(report.unattributed).toMatchObject({ conversion: 27 });
    expect(report.held_users).toBe(3);
  });

  it('the page has one line per metric with unattributed outcomes, and one for users waiting', async () => {
    const html = reportToHtml(await withStrays());
    expect(html).toContain('Outcomes not in the results');
    expect(html).toMatch(
      /<li>conversion: 27 outcomes found no exposed user in this phase after the attribution grace period and count in no arm\./,
    );
    expect(html).not.toMatch(/<li>abgate_errors:/);
    expect(html).toMatch(/<li>3 users have outcomes waiting for their exposure/);
  });

  it('the page says nothing about them when there are none', async () => {
    const html = reportToHtml(await dailyReport());
    expect(html).not.toContain('Outcomes not in the results');
  });

  it('the CSV carries the metric count on its rows and the held users on every row', async () => {
    const rows = csvRecords(reportToCsv(await withStrays()));
    const conversion = rows.filter((r) => r.metric === 'conversion');
    expect(conversion.map((r) => r.metric_unattributed)).toEqual(['27', '27']);
    expect(rows.filter((r) => r.metric === 'abgate_errors').map((r) => r.metric_unattributed)).toEqual([
      '0',
      '0',
    ]);
    expect(rows.every((r) => r.held_users === '3')).toBe(true);
  });

  it('the CLI table lists them, and only when there are some', async () => {
    const text = reportToTable(await withStrays());
    expect(text).toContain('outcomes not in the results:');
    expect(text).toMatch(/^ {2}- conversion: 27 outcomes found no exposed user/m);
    expect(text).toMatch(/^ {2}- 3 users have outcomes waiting for their exposure/m);
    expect(reportToTable(await dailyReport())).not.toContain('outcomes not in the results');
  });

  it('the CLI table shows them even when no user is exposed (every outcome is then unattributed)', async () => {
    const report = await dailyReport({ days: 2, usersPerDay: 0, strayOutcomesPerDay: 1 });
    expect(report.unattributed).toMatchObject({ conversion: 1 });
    const text = reportToTable(report);
    expect(text).toContain('No data yet');
    expect(text).toMatch(/- conversion: 1 outcome found no exposed user .* counts in no arm\./);
    expect(text).toMatch(/- 1 user has outcomes waiting/);
    expect(reportToHtml(report)).toMatch(/<li>conversion: 1 outcome found no exposed user/);
  });
});
