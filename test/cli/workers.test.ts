// `abgate serve --workers 2`: workers share Redis, and /metrics adds up every worker's counters.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../setup/redis-server.js';
import { spawnCli, waitForOutput } from '../helpers/cli.js';
import { startUpstream, type TestUpstream } from '../helpers/upstream.js';
import { experimentsDir, twoArmExperiment } from '../helpers/experiments.js';

let redis: RedisServer;
let upstream: TestUpstream;
beforeAll(async () => {
  redis = await RedisServer.start();
  upstream = await startUpstream('only');
}, 60_000);
afterAll(async () => {
  await upstream?.close();
  await redis?.dispose();
});

describe('abgate serve --workers', () => {
  it('serves from several processes and aggregates /metrics across them', async () => {
    const dir = await experimentsDir([twoArmExperiment('w', [upstream.url, upstream.url])]);
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const child = spawnCli(
      [
        'serve',
        '--workers',
        '2',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--experiments',
        dir,
        '--redis',
        redis.url,
      ],
      {
        ABGATE_JOURNAL_DIR: await mkdtemp(join(tmpdir(), 'abgate-journal-')),
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      // Both workers log their own "listening" line.
      await waitForOutput(child, /abgate listening[\s\S]*abgate listening/, 30_000);
      const pids = new Set<string>();
      // Forty clients at once, each on its own connection, so the primary spreads them over the workers.
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const agent = new Agent();
          const res = await request(`http://127.0.0.1:${port}/w`, {
            headers: { 'x-user-id': `u${i}` },
            dispatcher: agent,
          });
          expect(res.statusCode).toBe(201);
          await res.body.dump();
          const ready = await request(`http://127.0.0.1:${port}/readyz`, { dispatcher: agent });
          pids.add(String(((await ready.body.json()) as { pid?: number }).pid));
          await agent.close();
        }),
      );
      for (let i = 0; i < 4; i++) {
        const text = await (
          await request(`http://127.0.0.1:${port}/metrics`, { dispatcher: new Agent() })
        ).body.text();
        const total = [...text.matchAll(/^abgate_requests_total\{[^}]*status_class="2xx"\} (\d+)/gm)].reduce(
          (s, m) => s + Number(m[1]),
          0,
        );
        expect(total).toBe(40);
      }
      expect(pids.size).toBe(2);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
