// One story: the verdict word, the interval shown, the chart colour and "significant" agree for
// every comparison, after the correction and under the sequential analysis; SRM greys everything;
// no certainty ("100.0%") is displayed; a report without data says so once.
import { describe, expect, it } from 'vitest';
import { analyzeExperiment, type Correction, type AnalysisMode } from '../../src/core/stats/index.js';
import type { Report } from '../../src/reports/build-report.js';
import { TONE_COLOUR } from '../../src/reports/charts/palette.js';
import { reportToHtml } from '../../src/reports/html.js';
import { NO_DATA_MESSAGE } from '../../src/reports/sections/notes.js';
import { reportToTable } from '../../src/reports/table.js';
import { comparisonView, methodText } from '../../src/reports/view.js';
import { dailyReport } from './fixtures.js';

/** Five binomial metrics, control at 10%, treatment from −3 to +6 points: some significant, some not. */
function synthetic(correction: Correction, analysis: AnalysisMode, users = [3000, 3000]): Report {
  const rates = [0.07, 0.1, 0.115, 0.13, 0.16];
  const analysisResult = analyzeExperiment({
    alpha: 0.05,
    correction,
    analysis,
    arms: [
      { name: 'control', weight: 1, control: true, exposures: users[0]! },
      { name: 'treatment', weight: 1, control: false, exposures: users[1]! },
    ],
    metrics: rates.map((rate, i) => ({
      name: `m${i}`,
      type: 'binomial' as const,
      direction: i % 2 === 0 ? ('increase' as const) : ('decrease' as const),
      mde: 0.05,
      arms: {
        control: { users: 300, shift: 0, sum: 0.1 * users[0]!, sumSquares: 0.1 * users[0]! },
        treatment: { users: 300, shift: 0, sum: rate * users[1]!, sumSquares: rate * users[1]! },
      },
    })),
  });
  return {
    ...analysisResult,
    experiment: 'syn',
    status: 'running',
    description: '',
    generated_at: '2026-11-10T00:00:00.000Z',
    state: {
      status: 'running',
      since: null,
      version: null,
      winner: null,
      traffic: 100,
      phase: 1,
      current_phase: 1,
      phase_started_at: null,
      phase_ended_at: null,
    },
    unattributed: {},
    held_users: 0,
    time_series: null,
  };
}

const excludesZero = (i: [number, number] | null) => i !== null && (i[0] > 0 || i[1] < 0);

describe('one story', () => {
  it.each([
    ['holm', 'sequential'],
    ['holm', 'fixed'],
    ['benjamini-hochberg', 'sequential'],
    ['none', 'fixed'],
  ] as const)('%s / %s: verdict, interval, colour and significance agree', (correction, analysis) => {
    const report = synthetic(correction, analysis);
    const html = reportToHtml(report);
    let significant = 0;
    let notSignificant = 0;
    for (const m of report.metrics) {
      for (const c of m.comparisons) {
        const v = comparisonView(report, m, c);
        expect(v.significant).toBe(c.significant === true);
        expect(excludesZero(v.liftInterval)).toBe(v.significant);
        expect(excludesZero(v.diffInterval)).toBe(v.significant);
        expect(v.verdict).toContain(v.significant ? ', significant:' : ', not significant');
        const good = c.diff! > 0 === (m.direction === 'increase');
        expect(v.tone).toBe(v.significant ? (good ? 'improvement' : 'regression') : 'neutral');
        // The chart draws this comparison in the colour of its tone.
        expect(html).toMatch(
          new RegExp(
            `m-${m.name}[\\s\\S]*?<g class="bar ${v.tone}" data-significant="${v.significant}"><line class="ci"[^>]*stroke="${TONE_COLOUR[v.tone]}"`,
          ),
        );
        if (v.significant) significant++;
        else notSignificant++;
      }
    }
    expect(significant).toBeGreaterThan(0);
    expect(notSignificant).toBeGreaterThan(0);
  });

  it('says which analysis and correction apply', () => {
    expect(methodText(synthetic('holm', 'sequential'))).toMatch(
      /^always-valid \(sequential\) intervals and p-values: safe to look every day, Holm-adjusted across 5 metrics;/,
    );
    expect(methodText(synthetic('none', 'fixed'))).toMatch(
      /^fixed-horizon .*, no multiple-testing correction;/,
    );
    expect(reportToHtml(synthetic('holm', 'sequential'))).toContain('Holm-adjusted across 5 metrics');
  });

  it('greys every verdict under a sample ratio mismatch and puts the warning first', () => {
    const report = synthetic('holm', 'sequential', [3300, 2700]);
    expect(report.srm.mismatch).toBe(true);
    // The page without its stylesheet (which names every colour once).
    const html = reportToHtml(report).replace(/<style>[\s\S]*?<\/style>/, '');
    for (const m of report.metrics) {
      for (const c of m.comparisons) expect(comparisonView(report, m, c).tone).toBe('untrustworthy');
    }
    expect(html).not.toContain(TONE_COLOUR.improvement);
    expect(html).not.toMatch(/class="verdict (improvement|regression)/);
    expect(html.indexOf('banner srm')).toBeLessThan(html.indexOf('class="verdict'));
    expect(reportToTable(report).indexOf('SAMPLE RATIO MISMATCH')).toBeLessThan(
      reportToTable(report).indexOf('→'),
    );
  });

  it('never shows a certainty, and words direction the same in the page and the CLI', () => {
    const report = synthetic('holm', 'fixed');
    const html = reportToHtml(report);
    const table = reportToTable(report);
    expect(report.metrics.some((m) => m.comparisons.some((c) => c.chance_to_beat_control! > 0.9995))).toBe(
      true,
    );
    expect(html).toContain('&#62;99.9%');
    for (const text of [html, table]) {
      expect(text).not.toMatch(/100\.0%|higher is worse|lower is worse/);
      expect(text).toContain('higher is better');
      expect(text).toContain('lower is better');
    }
  });

  it('gives a report without data one message instead of a warning per metric and arm', async () => {
    const report = await dailyReport({ days: 0 });
    const html = reportToHtml(report);
    expect(html.split(NO_DATA_MESSAGE.slice(0, 40)).length - 1).toBe(1);
    expect(html).not.toMatch(/empty_arm|no exposed users; its statistics/i);
    const table = reportToTable(report);
    expect(table.split(NO_DATA_MESSAGE.slice(0, 40)).length - 1).toBe(1);
    expect(table).not.toContain('empty_arm');
  });
});
