// The engine against numpy/scipy/mpmath: every field of every case in test/fixtures/stats-reference.json
// (regenerate with `python3 scripts/stats_reference.py`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeExperiment } from '../../../src/core/stats/index.js';
import type { AnalysisInput, AnalysisOptions } from '../../../src/core/stats/index.js';

interface ExpectedWarning {
  code: string;
  metric?: string;
  arm?: string;
}

interface FixtureCase {
  name: string;
  description: string;
  input: AnalysisInput;
  options?: AnalysisOptions;
  expected: unknown;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/stats-reference.json', import.meta.url), 'utf8'),
) as { cases: FixtureCase[] };

const REL_TOL = 1e-6;
const ABS_TOL = 1e-12;
/** Counts must match exactly (sample sizes are rounded up, so a tolerance would hide real errors). */
const INTEGER_FIELDS = new Set(['n', 'exposures', 'sample_size_needed', 'multiple_arm_users']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function warningKeys(list: unknown): string[] {
  if (!Array.isArray(list)) return ['<not an array>'];
  return list
    .map((w) => {
      const x = w as ExpectedWarning;
      return `${x.code}|${x.metric ?? ''}|${x.arm ?? ''}`;
    })
    .sort();
}

/** Walks the expected tree and lists every place where `actual` differs. */
function diff(actual: unknown, expected: Json, path: string, key: string, out: string[]): void {
  if (key === 'warnings') {
    const a = warningKeys(actual);
    const e = warningKeys(expected);
    if (JSON.stringify(a) !== JSON.stringify(e))
      out.push(`${path}: warnings ${JSON.stringify(a)} != ${JSON.stringify(e)}`);
    return;
  }
  if (expected === null) {
    if (actual !== null) out.push(`${path}: expected null, got ${JSON.stringify(actual)}`);
    return;
  }
  if (typeof expected === 'number') {
    if (typeof actual !== 'number' || !Number.isFinite(actual)) {
      out.push(`${path}: expected ${expected}, got ${JSON.stringify(actual)}`);
    } else if (INTEGER_FIELDS.has(key)) {
      if (actual !== expected) out.push(`${path}: expected exactly ${expected}, got ${actual}`);
    } else if (Math.abs(actual - expected) > Math.max(REL_TOL * Math.abs(expected), ABS_TOL)) {
      out.push(
        `${path}: expected ${expected}, got ${actual} (rel ${Math.abs(actual - expected) / Math.abs(expected)})`,
      );
    }
    return;
  }
  if (typeof expected === 'string' || typeof expected === 'boolean') {
    if (actual !== expected)
      out.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      out.push(`${path}: expected an array of ${expected.length}, got ${JSON.stringify(actual)}`);
      return;
    }
    expected.forEach((e, i) => diff(actual[i], e, `${path}[${i}]`, key, out));
    return;
  }
  if (!isObject(actual)) {
    out.push(`${path}: expected an object, got ${JSON.stringify(actual)}`);
    return;
  }
  const extra = Object.keys(actual).filter((k) => !(k in expected));
  if (extra.length > 0) out.push(`${path}: unexpected keys ${extra.join(', ')}`);
  for (const [k, e] of Object.entries(expected)) {
    if (!(k in actual)) out.push(`${path}.${k}: missing`);
    else diff(actual[k], e, `${path}.${k}`, k, out);
  }
}

/** Counts the numeric leaves compared, so a silently empty fixture cannot pass. */
function countNumbers(v: Json): number {
  if (typeof v === 'number') return 1;
  if (Array.isArray(v)) return v.reduce<number>((s, x) => s + countNumbers(x), 0);
  if (v !== null && typeof v === 'object') {
    return Object.entries(v).reduce((s, [k, x]) => s + (k === 'warnings' ? 0 : countNumbers(x)), 0);
  }
  return 0;
}

describe('analyzeExperiment matches the scipy reference', () => {
  it('has the cases the fixture promises', () => {
    expect(fixture.cases.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'balanced',
        'unbalanced',
        'tiny',
        'huge',
        'skewed_revenue',
        'multi_arm_holm',
        'direction_decrease',
        'degenerate',
        'srm_mismatch',
        'balanced_fixed',
        'multi_arm_benjamini-hochberg',
        'multi_arm_none',
        'negative_control_mean',
        'large_mean_small_sd',
        'timestamps',
        'mean_1e5_sd_1',
        'unshifted_sums',
        'huge_values',
        'huge_values_1e150',
        'tiny_values',
        'ratio_fixed',
        'ratio_sequential',
        'guardrails',
      ]),
    );
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    const actual = analyzeExperiment(testCase.input, testCase.options);
    const mismatches: string[] = [];
    diff(actual, testCase.expected as Json, 'analysis', '', mismatches);
    expect(mismatches).toEqual([]);
    expect(countNumbers(testCase.expected as Json)).toBeGreaterThan(10);
  });
});
