// The abgate command as a user runs it: validate, serve with graceful shutdown, bad configuration.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { COMMANDS, main } from '../../src/cli/main.js';
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

describe('abgate --help and --version', () => {
  it.each(Object.keys(COMMANDS))('abgate %s --help prints its usage and exits 0', async (name) => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((text: string) => void out.push(text));
    try {
      expect(await main([name, '--help'])).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(out.join('\n')).toMatch(new RegExp(`^abgate ${name}\\b`));
  });

  it('prints the version, commit and Node version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect(r.stdout.trim()).toMatch(
      new RegExp(
        `^abgate ${pkg.version.replace(/\./g, '\\.')} \\((commit [0-9a-f]{12}, )?node v\\d+\\.\\d+\\.\\d+\\)$`,
      ),
    );
  });

  it('shows the usage of the command after a usage error', async () => {
    const r = await runCli(['validate', '--nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("abgate validate: Unknown option '--nope'");
    expect(r.stderr).toContain('abgate validate [DIR]');
  });
});

describe('abgate start', () => {
  it('points the example experiments at the model ports it was given', async () => {
    const child = spawnCli([
      'start',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--model-v1-port',
      '0',
      '--model-v2-port',
      '0',
    ]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const out = await waitForOutput(child, /demo model variants on/);
      const port = Number(/"port":(\d+)/.exec(out)![1]);
      const models = /"models":\[(\d+),(\d+)\]/.exec(out)!.slice(1).map(Number);
      expect(models.every((p) => p !== 9001 && p !== 9002 && p > 0)).toBe(true);
      for (const user of ['alice', 'bob', 'carol', 'dave']) {
        const res = await request(`http://127.0.0.1:${port}/models/ranker/predict`, {
          method: 'POST',
          headers: { 'x-user-id': user, 'content-type': 'application/json' },
          body: '{"features":{"query_length":3}}',
        });
        const body = (await res.body.json()) as { model?: string };
        expect(res.statusCode, JSON.stringify(body)).toBe(200);
        expect(body.model).toBe('rank');
      }
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
if (!hasScript) console.warn('[skip] script(1) not found: the terminal start-up hint is not checked');

interface Proc {
  pid: number;
  ppid: number;
  sid: number;
}

function processes(): Proc[] {
  const out = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,sid='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every(Number.isInteger))
    .map(([pid, ppid, sid]) => ({ pid: pid!, ppid: ppid!, sid: sid! }));
}

/** Sessions of `root` and of all its descendants: script(1) runs the command in a session of its own. */
function sessionsUnder(root: number): Set<number> {
  const all = processes();
  const sessions = new Set<number>();
  const pids = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (pids.has(p.ppid) && !pids.has(p.pid)) {
        pids.add(p.pid);
        grew = true;
      }
    }
  }
  for (const p of all) if (pids.has(p.pid)) sessions.add(p.sid);
  sessions.delete(processes().find((p) => p.pid === process.pid)?.sid ?? -1); // never our own
  return sessions;
}

/** SIGKILLs every process of `sessions`; resolves with the ones still alive after 5 s (none, normally). */
async function killSessions(sessions: Set<number>): Promise<Proc[]> {
  const left = () => processes().filter((p) => sessions.has(p.sid));
  for (const p of left()) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  const until = Date.now() + 5000;
  while (left().length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return left();
}

describe.skipIf(!hasScript)('abgate start in a terminal', () => {
  let sessions = new Set<number>();
  afterEach(async () => {
    // Whatever happened in the test: no `abgate start` (or model server) may outlive it.
    const survivors = await killSessions(sessions);
    sessions = new Set();
    expect(survivors).toEqual([]);
  });

  it('prints the curl command as plain text that can be pasted', async () => {
    // script(1) gives the command a pseudo-terminal as stdout, as when a user runs npm start.
    const cli = `node --import tsx --input-type=module -e "import('./src/cli/main.ts').then((m) => m.main(process.argv.slice(1)))" -- start --port 0 --host 127.0.0.1 --model-v1-port 0 --model-v2-port 0`;
    const child = spawn('script', ['-qfec', cli, '/dev/null'], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, ABGATE_LOG_LEVEL: 'info' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    try {
      const out = await waitForOutput(child, /curl -s -i[^\n]*\n[^\n]*predict/);
      sessions = sessionsUnder(child.pid!);
      const port = /abgate is up: gateway on http:\/\/localhost:(\d+)/.exec(out)?.[1];
      expect(port, out).toBeDefined();
      expect(out).toContain(`curl -s -i -H 'x-user-id: alice' -H 'content-type: application/json'`);
      expect(out).toContain(
        `-d '{"features":{"query_length":3,"position":1,"price":20}}' http://localhost:${port}/models/ranker/predict`,
      );
      expect(out).not.toMatch(/curl[^\n]*\\"/); // no JSON escaping
    } finally {
      for (const sid of sessionsUnder(child.pid!)) sessions.add(sid);
      sessions.add(child.pid!); // script(1) itself leads the session `detached` gave it
    }
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
