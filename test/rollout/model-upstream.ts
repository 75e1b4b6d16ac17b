// A model server for canary tests: answers 200 with a JSON prediction; fails every Nth call with a 500
// and/or answers after a delay, as configured (deterministic: no randomness).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ModelUpstream {
  readonly url: string;
  /** Calls answered so far. */
  calls(): number;
  close(): Promise<void>;
}

export async function startModel(
  options: { failEvery?: number; delayMs?: number } = {},
): Promise<ModelUpstream> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const n = ++calls;
      const fail = options.failEvery !== undefined && n % options.failEvery === 0;
      const answer = () => {
        res.writeHead(fail ? 500 : 200, { 'content-type': 'application/json' });
        res.end(fail ? '{"error":"model crashed"}' : '{"score":0.5}');
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Client traffic until stopped: `concurrency` loops, each sending `perUser` requests for a user, then
 * the next user. Counts answers by status; a failed request is anything but a 2xx.
 */
export function startLoad(
  url: () => string,
  path: string,
  options: { concurrency?: number; perUser?: number } = {},
) {
  const concurrency = options.concurrency ?? 6;
  const perUser = options.perUser ?? 5;
  let stopped = false;
  const statuses = new Map<number, number>();
  let errors = 0;
  let next = 0;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      const user = `user-${next++}`;
      for (let k = 0; k < perUser && !stopped; k++) {
        try {
          const res = await fetch(`${url()}${path}`, {
            method: 'POST',
            headers: { 'x-user-id': user, 'content-type': 'application/json' },
            body: '{"x":1}',
          });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        } catch {
          errors++;
        }
      }
    }
  });
  return {
    /** Requests answered with something else than a 2xx, or not answered. */
    failed: () => errors + [...statuses].filter(([s]) => s < 200 || s > 299).reduce((n, [, c]) => n + c, 0),
    total: () => errors + [...statuses.values()].reduce((n, c) => n + c, 0),
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

export async function pollUntil<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
