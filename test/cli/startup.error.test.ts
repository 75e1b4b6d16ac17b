// A gateway that cannot start says why and exits: ports taken (also with Redis and with workers),
// demo model ports taken; nothing is left running.
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { experimentsDir, twoArmExperiment } from '../helpers/experiments.js';
import { RedisServer } from '../setup/redis-server.js';

/** A port held by this test for its duration. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, server };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let redis: RedisServer;
let taken: { port: number; server: Server };
let dir: string;
beforeAll(async () => {
  redis = await RedisServer.start();
  taken = await occupiedPort();
  dir = await experimentsDir([twoArmExperiment('p')]);
}, 60_000);
afterAll(async () => {
  taken?.server.close();
  await redis?.dispose();
});

const journal = () => mkdtemp(join(tmpdir(), 'abgate-journal-'));

describe('abgate serve on a port that is taken', () => {
  it('exits 1 naming the port and how to change it, with Redis configured', async () => {
    const r = await runCli(
      [
        'serve',
        '--port',
        String(taken.port),
        '--host',
        '127.0.0.1',
        '--experiments',
        dir,
        '--redis',
        redis.url,
      ],
      { ABGATE_JOURNAL_DIR: await journal() },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `the gateway cannot listen on 127.0.0.1:${taken.port}: port ${taken.port} is already in use (EADDRINUSE); choose another port with --port or PORT`,
    );
  });

  it('exits 1 with --workers 2 instead of re-forking workers, and leaves no worker behind', async () => {
    const r = await runCli(
      [
        'serve',
        '--workers',
        '2',
        '--port',
        String(taken.port),
        '--host',
        '127.0.0.1',
        '--experiments',
        dir,
        '--redis',
        redis.url,
      ],
      { ABGATE_JOURNAL_DIR: await journal() },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `port ${taken.port} is already in use (EADDRINUSE); choose another port with --port or PORT`,
    );
    const fatal = r.stdout.split('\n').find((l) => l.includes('stopped before it could serve'));
    expect(fatal, r.stdout).toBeDefined();
    const worker = (JSON.parse(fatal!) as { worker: number }).worker;
    expect(alive(worker)).toBe(false);
    expect(r.stdout).not.toContain('starting a new one');
  });
});

describe('abgate start (npm start)', () => {
  it('exits 1 naming a demo model port that is taken and its flag and variable', async () => {
    const r = await runCli(['start', '--port', '0', '--host', '127.0.0.1', '--model-v1-port', '0'], {
      ABGATE_MODEL_V2_PORT: String(taken.port),
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `demo model v2 cannot listen on 127.0.0.1:${taken.port}: port ${taken.port} is already in use (EADDRINUSE); choose another port with --model-v2-port or ABGATE_MODEL_V2_PORT`,
    );
  });

  it('exits 1 when the gateway port is taken, stopping the demo models it started', async () => {
    const r = await runCli([
      'start',
      '--port',
      String(taken.port),
      '--host',
      '127.0.0.1',
      '--model-v1-port',
      '0',
      '--model-v2-port',
      '0',
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`port ${taken.port} is already in use`);
  });
});
