// The CLI table: the canary's progress, expected vs observed shares, how long the data covers.
import { describe, expect, it } from 'vitest';
import { reportToTable } from '../../src/reports/table.js';
import { dailyReport, rolloutFixture } from './fixtures.js';

describe('CLI table', () => {
  it('shows the rollout: step of steps, traffic, state, next check, last verdict, guardrails with bounds', async () => {
    const text = reportToTable({ ...(await dailyReport()), rollout: rolloutFixture() });
    expect(text).toContain('canary rollout:');
    expect(text).toMatch(/step\s+2 of 4 \(1% → 5% → 25% → 50%\)/);
    expect(text).toMatch(/traffic\s+5%/);
    expect(text).toMatch(/next check\s+2026-11-10 09:10:00 UTC/);
    expect(text).toMatch(/last check\s+advance at 2026-11-10 09:00:00 UTC: all guardrails ok/);
    expect(text).toMatch(/abgate_latency_ms\s+breached\s+max_relative_increase 0\.1\s+\+18\.00%\s+\+12\.10%/);
    expect(text).toMatch(/abgate_errors\s+ok\s+max_increase 0\.005\s+\+0\.0004\s+\+0\.0031/);
  });

  it('shows shares, SRM and the period covered, and no rollout block without one', async () => {
    const text = reportToTable(await dailyReport({ controlShare: 0.6 }));
    expect(text).not.toContain('canary rollout');
    expect(text).toMatch(/control \(control\)\s+1\s+50\.0%\s+60\.0%\s+2400/);
    expect(text).toContain('data for 9 d 1 h');
    expect(text).toMatch(/SRM χ² = [\d.]+, p < 0\.001: MISMATCH/);
  });
});
