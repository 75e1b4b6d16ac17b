// `abgate exp` as an operator runs it, against a real gateway: in-process for the many cases, and as
// the real command for its wiring and exit codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/args.js';
import { expCommand } from '../../src/cli/exp.js';
import { runCli } from '../helpers/cli.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { twoArmExperiment } from '../helpers/experiments.js';

const TOKEN = 'cli-admin-token-0123456789abcdef';
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway(
    [
      twoArmExperiment('ranker', undefined, { traffic: 10 }),
      twoArmExperiment('other', undefined, { status: 'draft' }),
      twoArmExperiment('spawned', undefined, { traffic: 5 }),
      twoArmExperiment('labelled', undefined, { traffic: 5 }),
    ],
    { adminToken: `ops:${TOKEN}` },
  );
});
afterAll(() => gw.close());

async function exp(args: string[], env: Record<string, string> = { ABGATE_ADMIN_TOKEN: TOKEN }) {
  let stdout = '';
  let stderr = '';
  const code = await expCommand([...args, '--url', gw.url], {
    env,
    out: (t) => (stdout += t),
    err: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}

describe('abgate exp', () => {
  it("takes the gateway's own ABGATE_ADMIN_TOKEN value (label:token, comma-separated)", async () => {
    const r = await exp(['set', 'labelled', '--traffic', '20'], {
      ABGATE_ADMIN_TOKEN: `ops:${TOKEN},ci:another-token-0123456789`,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const history = await exp(['history', 'labelled']);
    expect(history.stdout.trim().split('\n').at(-1)).toMatch(/\bops\b/);
  });

  it('ramps, pauses, resumes, concludes and shows the history', async () => {
    const set = await exp(['set', 'ranker', '--traffic', '50', '--reason', 'ramp to half']);
    expect(set).toEqual({ code: 0, stdout: 'ranker: traffic 10% → 50% (version 1 → 2)\n', stderr: '' });
    expect((await exp(['pause', 'ranker', '--reason', 'incident 42'])).stdout).toContain(
      'status running → paused (version 2 → 3)',
    );
    expect((await exp(['resume', 'ranker'])).stdout).toContain('status paused → running');
    expect((await exp(['resume', 'ranker'])).stdout).toBe('ranker: unchanged (version 4)\n');
    const concluded = await exp(['conclude', 'ranker', '--winner', 'treatment', '--reason', 'ship it']);
    expect(concluded.stdout).toBe('ranker: status running → concluded; winner treatment (version 4 → 5)\n');

    const show = await exp(['show', 'ranker']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^ranker {2}concluded \(winner treatment\) since \S+ {2}version 5$/m);
    expect(show.stdout).toContain('conflict   status: live concluded, file running (the live value wins)');

    const history = await exp(['history', 'ranker']);
    expect(history.code).toBe(0);
    const lines = history.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^version\s+at\s+actor\s+change\s+reason$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      [
        '1',
        expect.any(String),
        'file',
        'loaded: running, traffic 10%, weights control 1, treatment 1',
        'loaded from test-0.yaml',
      ],
      ['2', expect.any(String), 'ops', 'traffic 10% → 50%', 'ramp to half'],
      ['3', expect.any(String), 'ops', 'status running → paused', 'incident 42'],
      ['4', expect.any(String), 'ops', 'status paused → running'],
      ['5', expect.any(String), 'ops', 'status running → concluded; winner treatment', 'ship it'],
    ]);
    expect(JSON.parse((await exp(['history', 'ranker', '--json'])).stdout).history).toHaveLength(5);
  });

  it('changes weights (a new phase) and rolls back', async () => {
    await exp(['start', 'other']);
    const weights = await exp(['set', 'other', '--weights', 'control=1,treatment=3']);
    expect(weights.stdout).toBe(
      'other: weights control 1, treatment 1 → control 1, treatment 3; new phase 2 (version 2 → 3)\n',
    );
    expect((await exp(['rollback', 'other'])).stdout).toContain('status running → rolled_back');
  });

  it('fails clearly: refused change (409), no token (401), stale --if-match (412), unknown experiment (404)', async () => {
    const refused = await exp(['set', 'ranker', '--traffic', '20']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'abgate exp set ranker: 409 invalid_transition: traffic and weights change only',
    );
    const noToken = await exp(['pause', 'ranker'], {});
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('401 unauthorized');
    expect(noToken.stderr).toContain('--token or ABGATE_ADMIN_TOKEN');
    const stale = await exp(['rollback', 'ranker', '--if-match', '2']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/412 version_mismatch[\s\S]*run again/);
    const missing = await exp(['show', 'ghost']);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringContaining('404 experiment_not_found') });
    expect(JSON.parse((await exp(['show', 'ranker', '--json'])).stdout)).toMatchObject({
      live: { version: 5 },
    });
  });

  it.each([
    [['conclude', 'ranker'], 'conclude needs --winner <arm>'],
    [['set', 'ranker', '--traffic', 'lots'], '--traffic must be a number'],
    [['set', 'ranker', '--weights', 'control:1'], '--weights must look like control=1,treatment=3'],
    [['set', 'ranker'], 'set needs at least one of'],
    [['frobnicate', 'ranker'], 'unknown exp command "frobnicate"'],
    [['pause'], 'which experiment?'],
  ])('refuses %j as a usage error', async (args, message) => {
    await expect(exp(args)).rejects.toThrow(UsageError);
    await expect(exp(args)).rejects.toThrow(message);
  });

  it('runs as the abgate command, with exit codes 0, 1 and 2', async () => {
    const [ok, refused, usage] = await Promise.all([
      runCli(['exp', 'set', 'spawned', '--traffic', '25', '--url', gw.url], { ABGATE_ADMIN_TOKEN: TOKEN }),
      runCli(['exp', 'set', 'spawned', '--traffic', '25', '--url', gw.url], {
        ABGATE_ADMIN_TOKEN: 'w'.repeat(20),
      }),
      runCli(['exp', 'conclude', 'spawned', '--url', gw.url]),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('spawned: traffic 5% → 25% (version 1 → 2)\n');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('401 unauthorized: invalid admin token');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('abgate exp: conclude needs --winner');
  });
});
