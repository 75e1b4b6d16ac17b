import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { interpolateDocument, interpolateString, referencedVariables } from './interpolate.js';
import { loadExperiments } from './load-experiments.js';

const env = { HOST: 'model-v1', PORT: '9101', EMPTY: '' };

describe('interpolateString', () => {
  it.each([
    ['http://${HOST}:${PORT}/rank', 'http://model-v1:9101/rank'],
    ['http://${MISSING:-127.0.0.1}:${PORT:-9001}', 'http://127.0.0.1:9101'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['[${EMPTY}]', '[]'],
    ['${MISSING:-}', ''],
    ['${MISSING:-a:-b}', 'a:-b'],
    ['cost $5, $$HOME, ${HOST}$', 'cost $5, $HOME, model-v1$'],
    ['no variables', 'no variables'],
  ])('%s → %s', (text, expected) => {
    expect(interpolateString(text, env)).toEqual({ value: expected });
  });

  it.each([
    ['http://${MISSING}/x', 'environment variable MISSING is not set (write ${MISSING:-default}'],
    ['${1BAD}', '"${1BAD}" is not ${NAME} or ${NAME:-default}'],
    ['${HOST:default}', 'is not ${NAME} or ${NAME:-default}'],
    ['http://${HOST', 'an unclosed "${"'],
  ])('%s fails: %s', (text, message) => {
    const r = interpolateString(text, env);
    expect('error' in r ? r.error : '').toContain(message);
  });
});

describe('interpolateDocument', () => {
  it('resolves string values at any depth, leaves keys and other types, names failing fields', () => {
    const r = interpolateDocument(
      { id: 'x', traffic: 50, arms: [{ upstream: 'http://${HOST}/a' }, { upstream: 'http://${NOPE}/b' }] },
      env,
    );
    expect(r.value).toEqual({
      id: 'x',
      traffic: 50,
      arms: [{ upstream: 'http://model-v1/a' }, { upstream: 'http://${NOPE}/b' }],
    });
    expect(r.problems).toEqual([
      { field: 'arms.1.upstream', message: expect.stringContaining('NOPE is not set') as string },
    ]);
  });

  it('lists referenced variables', () => {
    expect(referencedVariables('http://${A:-x}:${B}/$$ ${bad-}')).toEqual([
      { name: 'A', hasDefault: true },
      { name: 'B', hasDefault: false },
    ]);
  });
});

describe('loadExperiments with variables', () => {
  const doc = [
    'id: e',
    'status: running',
    'route: { path: /e }',
    'arms:',
    '  - { name: a, upstream: "http://${E_HOST:-127.0.0.1}:${E_PORT:-9001}/x" }',
    '  - { name: b, upstream: "http://${E_HOST_B}/x" }',
    '',
  ].join('\n');

  it('resolves them from the given environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'abgate-env-'));
    await writeFile(join(dir, 'e.yaml'), doc);
    const [loaded] = await loadExperiments(dir, { env: { E_PORT: '9555', E_HOST_B: 'b.internal:80' } });
    expect(loaded!.definition.arms.map((a) => a.upstream)).toEqual([
      'http://127.0.0.1:9555/x',
      'http://b.internal:80/x',
    ]);
  });

  it('names the file and field of a variable that is not set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'abgate-env-'));
    await writeFile(join(dir, 'e.yaml'), doc);
    const err = await loadExperiments(dir, { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(
      /e\.yaml: arms\.1\.upstream: environment variable E_HOST_B is not set/,
    );
  });
});
