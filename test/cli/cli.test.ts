// The abgate command as a user runs it: validate, serve with graceful shutdown, bad configuration.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { experimentsDir, twoArmExperiment } from '../helpers/experiments.js';

let upstream: TestUpstream;
beforeAll(async () => {
  upstream = await startUpstream('only');
});
afterAll(() => upstream.close());

describe('abgate validate', () => {
  it('accepts the shipped experiments', async () => {
    const r = await runCli(['validate', 'experiments']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ranker-v2');
  });

  it('exits non-zero naming file, field and reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'abgate-bad-'));
    await writeFile(
      join(dir, 'bad.yaml'),
      'id: bad\nstatus: running\nroute: { path: /x }\narms:\n  - { name: a, upstream: "nope" }\n',
    );
    const r = await runCli(['validate', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml: arms: needs at least two arms/);
    expect(r.stderr).toMatch(/bad\.yaml: arms\.0\.upstream: must be an absolute http\(s\) URL/);
  });
});

describe('abgate serve', () => {
  it('refuses to start on a bad setting, naming the variable', async () => {
    const r = await runCli(['serve'], { PORT: 'eighty' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PORT:');
  });

  it('finishes in-flight requests on SIGTERM, then exits 0', async () => {
    const dir = await experimentsDir([twoArmExperiment('p', [upstream.url, upstream.url])]);
    const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--experiments', dir]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const out = await waitForOutput(child, /abgate listening/);
      const port = Number(/"port":(\d+)/.exec(out)![1]);
      const inFlight = request(`http://127.0.0.1:${port}/p/slow/700`, { headers: { 'x-user-id': 'u' } });
      await new Promise((r) => setTimeout(r, 200));
      child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.statusCode).toBe(201);
      expect(((await res.body.json()) as { upstream: string }).upstream).toBe('only');
      expect(await exited).toBe(0);
    } finally {
      // A failed assertion must not leave a gateway running after the test.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
