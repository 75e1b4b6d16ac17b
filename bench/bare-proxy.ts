// The reference proxy of the benchmark: the least work a Node reverse proxy can do.
// node:http server → undici Pool.request (keep-alive) → writeHead + pipe. No routing, no header hygiene,
// no timeouts, no metrics, no logging: whatever abgate costs beyond this is the price of its features.
//
//   node --import tsx bench/bare-proxy.ts --upstream http://127.0.0.1:9001 [--port 0] [--host H] [--api request|dispatch]
//
// Run as a process by the harness; prints one JSON line {"port": N} once listening (and sends it
// over IPC when forked).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool, type Dispatcher } from 'undici';

export interface BareProxy {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `api`: "request" (default) is undici's Pool.request() + body.pipe(res), the reference of the
 * benchmark; "dispatch" drives Pool.dispatch() with a handler that writes straight into the response
 * (no promise, no body stream): the cheapest undici can do, for information.
 */
export type BareApi = 'request' | 'dispatch';

export async function startBareProxy(
  upstream: string,
  port = 0,
  host = '127.0.0.1',
  api: BareApi = 'request',
): Promise<BareProxy> {
  // Same pool settings as abgate's UpstreamPools, so the comparison is about per-request work only.
  const pool = new Pool(upstream, { connections: 256, keepAliveTimeout: 30_000 });
  const server = createServer((req, res) => {
    const bodyless =
      req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined;
    const opts: Dispatcher.DispatchOptions = {
      path: req.url ?? '/',
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: req.headers,
      body: bodyless ? null : req,
    };
    if (api === 'dispatch') {
      pool.dispatch(opts, {
        onConnect() {},
        onError(err) {
          if (res.headersSent) res.destroy(err);
          else {
            res.statusCode = 502;
            res.end();
          }
        },
        onHeaders(statusCode, rawHeaders) {
          const flat: string[] = [];
          for (const h of rawHeaders as Buffer[]) flat.push(h.toString('latin1'));
          res.writeHead(statusCode, flat);
          return true;
        },
        onData(chunk) {
          return res.write(chunk);
        },
        onComplete() {
          res.end();
        },
      });
      return;
    }
    pool.request(opts, (err, data) => {
      if (err) {
        res.statusCode = 502;
        res.end();
        return;
      }
      res.writeHead(data.statusCode, data.headers);
      // .pipe(), not stream.pipeline(): on Node 20 pipeline() costs ~50 µs per call (it creates and
      // aborts an AbortController, building a DOMException with a stack trace, on every finish).
      data.body.on('error', (e) => res.destroy(e));
      data.body.pipe(res);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.close();
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      upstream: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      api: { type: 'string', default: 'request' },
    },
  });
  if (!values.upstream) throw new Error('--upstream http://host:port is required');
  if (values.api !== 'request' && values.api !== 'dispatch')
    throw new Error('--api must be request or dispatch');
  const proxy = await startBareProxy(values.upstream, Number(values.port), values.host, values.api);
  console.log(JSON.stringify({ port: proxy.port }));
  process.send?.({ port: proxy.port });
  const stop = () => void proxy.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
