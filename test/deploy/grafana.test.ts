// deploy/grafana: the alert rules parse and pass their promtool unit tests, and every metric and
// label the rules and the dashboard use exists in the gateway's registry, so neither can refer
// to a metric that was renamed or never existed. promtool (Debian package `prometheus`) is used
// when installed; without it those two checks are skipped with a notice.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { apiExperiment, testApp } from '../helpers/app.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'deploy/grafana');
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const hasPromtool = spawnSync(PROMTOOL, ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasPromtool)
  console.warn(`[skip] ${PROMTOOL} not found: promtool check/test rules of deploy/grafana are skipped`);

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (
  parse(readFileSync(join(DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; definition?: string }[] };
}
const dashboard = JSON.parse(readFileSync(join(DIR, 'abgate-dashboard.json'), 'utf8')) as Dashboard;

/** Every PromQL expression of the rules and the dashboard (panels and variable queries), with where it is. */
const expressions: { where: string; expr: string }[] = [
  ...rules.map((r) => ({ where: `alerts.yml ${r.alert ?? r.record}`, expr: r.expr })),
  ...dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `dashboard "${p.title}"`, expr: t.expr })),
  ),
  ...dashboard.templating.list
    .filter((v) => v.definition !== undefined)
    .map((v) => ({ where: `dashboard variable $${v.name}`, expr: v.definition! })),
];

/** Labels every scraped series has (added by Prometheus) or that histograms add. */
const TARGET_LABELS = new Set(['instance', 'job', 'le']);
/** Series Prometheus makes itself. */
const SYNTHETIC: Record<string, string[]> = { up: [] };

let known: Map<string, { type: string; labels: string[] }>;
beforeAll(async () => {
  // The registry of a real gateway, wired as `abgate serve` wires it.
  const { services } = await testApp([apiExperiment()], {}, { processMetrics: true });
  const registry = services.metrics.registry;
  const types = new Map((await registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
  known = new Map();
  for (const metric of registry.getMetricsAsArray()) {
    const name = (metric as unknown as { name: string }).name;
    const labels = (metric as unknown as { labelNames?: string[] }).labelNames ?? [];
    const type = types.get(name) ?? 'untyped';
    known.set(name, { type, labels });
    if (type === 'histogram')
      for (const s of ['_bucket', '_sum', '_count']) known.set(name + s, { type, labels });
  }
  for (const [name, labels] of Object.entries(SYNTHETIC)) known.set(name, { type: 'gauge', labels });
});

/** Metric names an expression reads: the gateway's namespaces, Node's stock ones and `up`. */
function metricsIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [
    ...new Set(
      [...withoutStrings.matchAll(/\b(abgate_\w+|process_\w+|nodejs_\w+|up)\b(?!\s*\()/g)].map((m) => m[1]!),
    ),
  ];
}

describe('deploy/grafana/alerts.yml', () => {
  it('has the alerts operators need, each with a severity, a summary and a for: where noise is possible', () => {
    const names = rules.map((r) => r.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'AbgateSampleRatioMismatch',
        'AbgateFallbackRatioHigh',
        'AbgateStoreDown',
        'AbgateJournalGrowing',
      ]),
    );
    for (const r of rules) {
      expect(['warning', 'critical'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
    }
  });

  it.skipIf(!hasPromtool)('parses (promtool check rules)', () => {
    const r = spawnSync(PROMTOOL, ['check', 'rules', join(DIR, 'alerts.yml')], { encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it.skipIf(!hasPromtool)('fires as its unit tests expect (promtool test rules alerts.test.yml)', () => {
    const r = spawnSync(PROMTOOL, ['test', 'rules', 'alerts.test.yml'], { cwd: DIR, encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});

describe('deploy/grafana/abgate-dashboard.json', () => {
  it('shows per-arm rate, error ratio, p99, fallbacks, exposures, queue/journal and Redis up', () => {
    const titles = dashboard.panels.map((p) => p.title).join('\n');
    for (const topic of [
      /request rate per arm/i,
      /error ratio per arm/i,
      /p99 .*latency per arm/i,
      /fallbacks/i,
      /exposures per arm/i,
      /queue and journal/i,
      /redis up/i,
      /sample ratio mismatch/i,
    ]) {
      expect(titles).toMatch(topic);
    }
    expect(dashboard.uid).toMatch(/^[a-z0-9-]+$/);
  });
});

describe('metrics used by the rules and the dashboard', () => {
  it.each(expressions)('$where reads only metrics and labels the gateway exports', ({ expr }) => {
    const metrics = metricsIn(expr);
    expect(metrics.length, expr).toBeGreaterThan(0);
    for (const name of metrics)
      expect(known.has(name), `${name} is not in the gateway's registry`).toBe(true);
    const allLabels = new Set([...TARGET_LABELS, ...metrics.flatMap((m) => known.get(m)!.labels)]);
    // Label matchers: metric{label="…"} must name labels of that metric.
    for (const m of expr.matchAll(/\b(\w+)\s*\{([^}]*)\}/g)) {
      const own = known.get(m[1]!);
      if (!own) continue;
      for (const matcher of m[2]!.matchAll(/(\w+)\s*(?:=~|!~|!=|=)/g)) {
        expect([...TARGET_LABELS, ...own.labels], `${m[1]} has no label ${matcher[1]}`).toContain(matcher[1]);
      }
    }
    // Grouping: by (…) / on (…) must name labels the metrics have.
    for (const g of expr.matchAll(/\b(?:by|on|without|ignoring)\s*\(([^)]*)\)/g)) {
      for (const label of g[1]!
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean)) {
        expect([...allLabels], `no metric of "${expr}" has label ${label}`).toContain(label);
      }
    }
  });
});
