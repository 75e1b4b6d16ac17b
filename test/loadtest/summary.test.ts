// loadtest/lib/summary.js reads both shapes of k6's end-of-test data: the classic one and the one
// of --new-machine-readable-summary (k6 2.x), which carries no threshold results.
import { describe, expect, it } from 'vitest';
import {
  countOf,
  evaluateThreshold,
  normalizeSummary,
  thresholdSection,
} from '../../loadtest/lib/summary.js';

const thresholds = {
  arm_unexpected: ['count<1'],
  'http_req_duration{endpoint:predict}': ['p(95)<300', 'p(99)<800'],
  checks: ['rate>0.99'],
  'http_req_failed{endpoint:predict}': ['rate<0.01', { threshold: 'rate<0.5', abortOnFail: true }],
};

/** As k6 2.2.0 passes it to handleSummary with --new-machine-readable-summary (trimmed). */
const machineReadable = {
  config: { duration: 2, execution: 'local', script: '' },
  metadata: { generated_at: '2026-11-28T00:04:05Z', k6_version: '2.2.0' },
  results: {
    checks: {
      metrics: [
        {
          name: 'checks_succeeded',
          type: 'rate',
          contains: 'default',
          values: { matches: 6, rate: 0.5, total: 12 },
        },
      ],
      results: [{ name: 'status is 200', passes: 6, fails: 6 }],
    },
    metrics: [
      { name: 'arm_unexpected', type: 'counter', contains: 'default', values: { count: 4 } },
      {
        name: 'http_req_duration{endpoint:predict}',
        type: 'trend',
        contains: 'time',
        values: { avg: 12, max: 40, med: 10, min: 1, p90: 30, p95: 35 },
      },
      {
        name: 'http_req_failed{endpoint:predict}',
        type: 'rate',
        contains: 'default',
        values: { matches: 1, rate: 0.02, total: 50 },
      },
    ],
  },
  version: '1.0.0',
};

describe('normalizeSummary', () => {
  it('keeps the classic shape as it is', () => {
    const classic = {
      metrics: {
        arm_unexpected: { type: 'counter', values: { count: 2 }, thresholds: { 'count<1': { ok: false } } },
      },
      root_group: { checks: [] },
    };
    const s = normalizeSummary(classic, thresholds);
    expect(s.format).toBe('classic');
    expect(countOf(s, 'arm_unexpected')).toBe(2);
    expect(countOf(s, 'never_fired')).toBe(0);
  });

  it('reads the machine-readable shape, computing threshold results it lacks', () => {
    const s = normalizeSummary(machineReadable, thresholds);
    expect(s.format).toBe('machine-readable');
    expect(countOf(s, 'arm_unexpected')).toBe(4);
    expect(s.metrics.arm_unexpected!.values.rate).toBe(2); // count / duration
    expect(s.metrics['http_req_duration{endpoint:predict}']!.values['p(95)']).toBe(35);
    expect(s.metrics.checks!.values.rate).toBe(0.5);
    expect(s.root_group.checks).toEqual([{ name: 'status is 200', passes: 6, fails: 6 }]);
    expect(s.metrics.arm_unexpected!.thresholds).toEqual({ 'count<1': { ok: false } });
    expect(s.metrics['http_req_duration{endpoint:predict}']!.thresholds).toEqual({
      'p(95)<300': { ok: true },
      'p(99)<800': { ok: undefined }, // the new format has no p(99)
    });
    expect(s.metrics['http_req_failed{endpoint:predict}']!.thresholds).toEqual({
      'rate<0.01': { ok: false },
      'rate<0.5': { ok: true },
    });
    const lines = thresholdSection(s, '');
    expect(lines.find((l) => l.includes("'p(99)<800'"))).toMatch(/^\?/);
    expect(lines.find((l) => l.includes("'count<1'"))).toMatch(/^✗/);
  });

  it('marks thresholds of a Rate without samples as not checked, not as a passed check', () => {
    // What k6 2.2.0 hands over for arm_share when its own --vus/--duration scenario ran.
    const empty = { type: 'rate', contains: 'default', values: { rate: 0, passes: 0, fails: 0 } };
    const classic = normalizeSummary(
      {
        metrics: {
          'arm_share{arm:control}': { ...empty, thresholds: { 'rate>=0.48': { ok: true } } },
          'http_req_failed{endpoint:predict}': {
            type: 'rate',
            values: { rate: 0, passes: 0, fails: 20 },
            thresholds: { 'rate<0.01': { ok: true } },
          },
        },
        root_group: { checks: [] },
      },
      {},
    );
    const lines = thresholdSection(classic, '', { arm_share: 'the split is not enforced' });
    expect(lines.find((l) => l.includes('arm_share'))).toMatch(
      /^- arm_share\{arm:control\}\s+'rate>=0\.48'\s+no samples, not checked: the split is not enforced$/,
    );
    // A rate of 0 over real samples is a real check.
    expect(lines.find((l) => l.includes('http_req_failed'))).toMatch(/^✓ .*rate=0\.00%$/);

    // The new format: computed here, k6's rule (no sample holds), shown the same way.
    const fresh = normalizeSummary(
      {
        config: { duration: 2 },
        results: {
          metrics: [
            {
              name: 'arm_share{arm:control}',
              type: 'rate',
              contains: 'default',
              values: { matches: 0, rate: 0, total: 0 },
            },
          ],
        },
      },
      { 'arm_share{arm:control}': ['rate>=0.48'] },
    );
    expect(fresh.metrics['arm_share{arm:control}']!.thresholds).toEqual({ 'rate>=0.48': { ok: true } });
    expect(thresholdSection(fresh, '')[0]).toMatch(
      /^- arm_share\{arm:control\}\s+'rate>=0\.48'\s+no samples, not checked$/,
    );
  });

  it('evaluates threshold expressions', () => {
    expect(evaluateThreshold('rate>=0.45', { rate: 0.45 })).toBe(true);
    expect(evaluateThreshold('rate<=0.1', { rate: 0.45 })).toBe(false);
    expect(evaluateThreshold('count<1', { count: 0 })).toBe(true);
    expect(evaluateThreshold('p(99)<800', { 'p(95)': 1 })).toBeUndefined();
    expect(evaluateThreshold('rate>1e-3', { rate: 0.002 })).toBe(true);
  });
});
