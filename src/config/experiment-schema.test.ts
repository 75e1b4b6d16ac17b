import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import {
  loadExperiments,
  MAX_EXPERIMENT_FILE_BYTES,
  validateExperimentDocument,
} from './load-experiments.js';

const valid = {
  id: 'exp-1',
  status: 'running',
  route: { path: '/models/x/predict' },
  arms: [
    { name: 'a', upstream: 'http://127.0.0.1:9001/predict' },
    { name: 'b', upstream: 'https://models.internal/predict' },
  ],
};

function problems(doc: unknown): string[] {
  const r = validateExperimentDocument('exp.yaml', doc);
  return 'problems' in r ? r.problems : [];
}

describe('experiment schema', () => {
  it('fills defaults and makes the first arm control', () => {
    const r = validateExperimentDocument('exp.yaml', valid);
    if ('problems' in r) throw new Error(r.problems.join());
    const d = r.definition;
    expect(d).toMatchObject({
      salt: 'exp-1',
      traffic: 100,
      hash_version: 1,
      unit: { header: 'x-user-id' },
      missing_unit: 'reject',
      alpha: 0.05,
      metrics: [],
    });
    expect(d.arms.map((a) => [a.name, a.control, a.weight, a.timeout_ms])).toEqual([
      ['a', true, 1, 10_000],
      ['b', false, 1, 10_000],
    ]);
  });

  it('accepts traffic 0 and one bucket, and per-metric bounds on continuous metrics', () => {
    for (const traffic of [0, 0.01, 0.5])
      expect(problems({ ...valid, traffic }), String(traffic)).toEqual([]);
    const r = validateExperimentDocument('exp.yaml', {
      ...valid,
      metrics: [{ name: 'revenue', type: 'continuous', min: 0, max: 10_000 }],
    });
    if ('problems' in r) throw new Error(r.problems.join());
    expect(r.definition.metrics[0]).toMatchObject({ min: 0, max: 10_000 });
  });

  it('accepts route.predict with methods in any case', () => {
    const r = validateExperimentDocument('exp.yaml', {
      ...valid,
      route: { path: '/v2/models/x', predict: { methods: ['post'], paths: ['/infer'] } },
    });
    if ('problems' in r) throw new Error(r.problems.join());
    expect(r.definition.route).toEqual({
      path: '/v2/models/x',
      predict: { methods: ['POST'], paths: ['/infer'] },
    });
  });

  it('honours an explicit control and lower-cases header names', () => {
    const r = validateExperimentDocument('exp.yaml', {
      ...valid,
      unit: { header: 'X-User-Id' },
      arms: [valid.arms[0], { ...valid.arms[1], control: true }],
    });
    if ('problems' in r) throw new Error(r.problems.join());
    expect(r.definition.arms.map((a) => a.control)).toEqual([false, true]);
    expect(r.definition.unit).toEqual({ header: 'x-user-id' });
  });

  it.each([
    [{ ...valid, id: 'Bad Id' }, 'exp.yaml: id: must be a slug'],
    [{ ...valid, status: 'live' }, 'exp.yaml: status:'],
    [
      { ...valid, route: { path: '/api/v1/predict' } },
      'exp.yaml: route.path: must not be under a reserved gateway path',
    ],
    [{ ...valid, route: { path: '/metrics' } }, 'route.path: must not be under a reserved'],
    [{ ...valid, route: { path: 'models' } }, 'route.path: must be an absolute URL path'],
    [{ ...valid, traffic: 120 }, 'exp.yaml: traffic:'],
    [{ ...valid, arms: [valid.arms[0]] }, 'exp.yaml: arms: needs at least two arms'],
    [{ ...valid, arms: [valid.arms[0], valid.arms[0]] }, 'exp.yaml: arms.1.name: duplicate arm name "a"'],
    [{ ...valid, arms: [valid.arms[0], { ...valid.arms[1], weight: -1 }] }, 'exp.yaml: arms.1.weight:'],
    [
      { ...valid, arms: [valid.arms[0], { ...valid.arms[1], upstream: 'ftp://x/y' }] },
      'arms.1.upstream: must be an absolute http(s) URL',
    ],
    [
      { ...valid, arms: [valid.arms[0], { ...valid.arms[1], upstream: '/relative' }] },
      'arms.1.upstream: must be an absolute',
    ],
    [
      { ...valid, arms: [{ ...valid.arms[0], fallback: 'control' }, valid.arms[1]] },
      'arms.0.fallback: the control arm cannot fall back',
    ],
    [
      {
        ...valid,
        arms: [
          { ...valid.arms[0], control: true },
          { ...valid.arms[1], control: true },
        ],
      },
      'arms: only one arm may be marked control',
    ],
    [{ ...valid, hash_version: 7 }, 'exp.yaml: hash_version: unknown hash version'],
    [{ ...valid, unit: { header: 'x-user-id', cookie: 'u' } }, 'exp.yaml: unit:'],
    [{ ...valid, metrics: [{ name: 'm', type: 'share' }] }, 'exp.yaml: metrics.0.type:'],
    [
      { ...valid, metrics: [{ name: 'm', type: 'ratio' }] },
      'metrics.0.numerator: a ratio metric needs its numerator',
    ],
    [
      { ...valid, metrics: [{ name: 'm', type: 'ratio', numerator: 'rev', denominator: 'ses' }] },
      'metrics.0.numerator: "rev" is not a metric of this experiment',
    ],
    [
      {
        ...valid,
        metrics: [
          { name: 'a', type: 'continuous' },
          { name: 'r', type: 'ratio', numerator: 'a', denominator: 'a' },
          { name: 'rr', type: 'ratio', numerator: 'r', denominator: 'a' },
        ],
      },
      'metrics.2.numerator: "r" is a ratio',
    ],
    [{ ...valid, metrics: [{ name: 'm', type: 'binomial', cap: 3 }] }, 'metrics.0.cap: only continuous'],
    [{ ...valid, metrics: [{ name: 'm', type: 'continuous', cap: -1 }] }, 'metrics.0.cap:'],
    [
      { ...valid, metrics: [{ name: 'm', type: 'continuous', numerator: 'x' }] },
      'metrics.0.numerator: only for type ratio',
    ],
    [
      {
        ...valid,
        metrics: [
          { name: 'm', type: 'binomial' },
          { name: 'm', type: 'continuous' },
        ],
      },
      'metrics.1.name: duplicate metric "m"',
    ],
    [{ ...valid, surprise: true }, 'exp.yaml: (root): Unrecognized key: "surprise"'],
    [
      { ...valid, traffic: 0.001 },
      'exp.yaml: traffic: must be 0 or at least 0.01 (one user bucket of 10,000)',
    ],
    [{ ...valid, traffic: 0.0099 }, 'exp.yaml: traffic: must be 0 or at least 0.01'],
    [
      { ...valid, metrics: [{ name: 'm', type: 'binomial', max: 1 }] },
      'exp.yaml: metrics.0.max: applies to continuous metrics only',
    ],
    [
      { ...valid, metrics: [{ name: 'm', type: 'continuous', min: 10, max: 1 }] },
      'exp.yaml: metrics.0.max: must not be below min (10)',
    ],
    [{ ...valid, metrics: [{ name: 'm', type: 'continuous', max: 'lots' }] }, 'exp.yaml: metrics.0.max:'],
    [
      { ...valid, metrics: [{ name: 'm', type: 'binomial', mde: 5 }] },
      'exp.yaml: metrics.0.mde: is relative (0.05 = 5%); above 1 (a 100% change) is implausible: did you mean a percentage',
    ],
    [
      { ...valid, metrics: [{ name: 'm', type: 'binomial', mde: 0.0001 }] },
      'metrics.0.mde: is relative (0.05 = 5%); below 0.001',
    ],
    [
      { ...valid, route: { path: '/v2/models/x', predict: { methods: ['FETCH'] } } },
      'exp.yaml: route.predict.methods.0:',
    ],
    [
      { ...valid, route: { path: '/v2/models/x', predict: { paths: ['infer'] } } },
      'route.predict.paths.0: must be a sub-path starting with "/"',
    ],
    [{ ...valid, route: { path: '/v2/health/ready' } }, 'route.path: must not be under a reserved'],
  ])('rejects %# with a message naming file, field and reason', (doc, expected) => {
    expect(problems(doc).join('\n')).toContain(expected);
  });
});

describe('loadExperiments', () => {
  async function dirWith(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'abgate-exp-'));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  }

  it('loads YAML and JSON files', async () => {
    const dir = await dirWith({
      'a.yaml': `id: a\nstatus: running\nroute: { path: /a }\narms:\n  - { name: c, upstream: "http://h:1/x" }\n  - { name: t, upstream: "http://h:2/x" }\n`,
      'b.json': JSON.stringify({ ...valid, id: 'b', route: { path: '/b' } }),
      'README.md': 'ignored',
    });
    const loaded = await loadExperiments(dir);
    expect(loaded.map((l) => l.definition.id)).toEqual(['a', 'b']);
  });

  it('rejects two routed experiments on one path and duplicate ids, listing every problem', async () => {
    const dir = await dirWith({
      'a.json': JSON.stringify(valid),
      'b.json': JSON.stringify({ ...valid }),
      'c.json': JSON.stringify({ ...valid, id: 'c', status: 'stopped' }),
      'd.yaml': 'id: [unclosed',
    });
    const err = await loadExperiments(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).message;
    expect(text).toMatch(/b\.json: id: "exp-1" is already defined in .*a\.json/);
    expect(text).toMatch(/b\.json: route\.path: "\/models\/x\/predict" is already served by .*a\.json/);
    expect(text).not.toMatch(/c\.json/);
    expect(text).toMatch(/d\.yaml: \(file\): not valid YAML/);
  });

  it('refuses a file over 1 MiB before parsing it, naming the file and the limit', async () => {
    const doc = JSON.stringify({ ...valid, description: 'x'.repeat(MAX_EXPERIMENT_FILE_BYTES) });
    const dir = await dirWith({ 'big.json': doc, 'ok.json': JSON.stringify({ ...valid, id: 'ok' }) });
    const err = await loadExperiments(dir).catch((e: unknown) => e);
    expect((err as ConfigError).problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `big\\.json: \\(file\\): is ${doc.length} bytes; experiment files may be at most 1048576 bytes \\(1 MiB\\)$`,
        ),
      ),
    ]);
  });

  it('refuses a YAML alias bomb quickly instead of expanding it', async () => {
    // 9 levels of 9 aliases each: 9^9 (387 million) strings once expanded.
    let yaml = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    for (let i = 1; i <= 9; i++)
      yaml += `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(',')}]\n`;
    const dir = await dirWith({ 'bomb.yaml': yaml });
    await expect(loadExperiments(dir)).rejects.toThrow(
      /bomb\.yaml: \(file\): not valid YAML: Excessive alias count/,
    );
  });

  it('refuses something that is not a regular file without blocking on it', async () => {
    const dir = await dirWith({});
    await mkdir(join(dir, 'folder.yaml'));
    const fifo = spawnSync('mkfifo', [join(dir, 'pipe.yaml')]);
    const err = (await loadExperiments(dir).catch((e: unknown) => e)) as ConfigError;
    expect(err.problems).toContainEqual(
      expect.stringMatching(/folder\.yaml: \(file\): is not a regular file$/),
    );
    if (fifo.status === 0) {
      expect(err.problems).toContainEqual(
        expect.stringMatching(/pipe\.yaml: \(file\): is not a regular file$/),
      );
    }
  });

  it('names a folder it cannot read', async () => {
    await expect(loadExperiments('/no/such/folder')).rejects.toThrow(
      /cannot read the experiments folder \(ENOENT\)/,
    );
  });

  it('accepts the shipped examples', async () => {
    const loaded = await loadExperiments('experiments');
    expect(loaded.length).toBeGreaterThanOrEqual(2);
  });
});
