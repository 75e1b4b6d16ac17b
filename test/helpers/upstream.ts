// A real HTTP upstream on loopback for tests: echoes what it receives and misbehaves on demand.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
  bodySha256: string;
}

export interface TestUpstream {
  readonly name: string;
  readonly url: string;
  readonly received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * Paths: /stream sends 1 MiB in two halves 300 ms apart; /status/<code> answers that status; /fail/<name> answers 500 if this is upstream <name>; /slow/<ms> waits first; /hop sends hop-by-hop headers;
 * anything else echoes the request (method, url, headers, body sha256 and size) as JSON.
 * Every answer carries `x-upstream: <name>`.
 */
export async function startUpstream(name: string): Promise<TestUpstream> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    req.on('end', () => {
      const url = req.url ?? '/';
      const r: ReceivedRequest = {
        method: req.method ?? '',
        url,
        headers: req.headers,
        bodyBytes: bytes,
        bodySha256: hash.digest('hex'),
      };
      received.push(r);
      const path = url.split('?')[0]!;
      const failHere = /\/fail\/([a-z]+)$/.exec(path)?.[1] === name;
      const status = failHere ? ['', '500'] : /\/status\/(\d{3})$/.exec(path);
      const slow = /\/slow\/(\d+)$/.exec(path);
      const answer = () => {
        if (path.endsWith('/stream')) {
          // 1 MiB in two halves, 300 ms apart: a buffering proxy would hold the first half back.
          res.writeHead(200, {
            'x-upstream': name,
            'content-type': 'application/octet-stream',
            'content-length': 1 << 20,
          });
          res.write(Buffer.alloc(1 << 19, 97));
          setTimeout(() => res.end(Buffer.alloc(1 << 19, 98)), 300);
          return;
        }
        if (path.endsWith('/hop')) {
          res.writeHead(200, [
            ['x-upstream', name],
            ['connection', 'keep-alive, x-secret-hop'],
            ['x-secret-hop', 'must not pass'],
            ['keep-alive', 'timeout=5'],
            ['set-cookie', 'a=1'],
            ['set-cookie', 'b=2'],
            ['content-type', 'text/plain'],
          ]);
          res.end('hop');
          return;
        }
        const body = JSON.stringify({ upstream: name, ...r });
        res.writeHead(status ? Number(status[1]) : 201, {
          'x-upstream': name,
          'content-type': 'application/json',
          'x-custom-response': 'kept',
        });
        res.end(body);
      };
      if (slow) setTimeout(answer, Number(slow[1]));
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL on loopback where nothing listens (connection refused). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
