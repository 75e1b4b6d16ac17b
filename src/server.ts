// The HTTP server: prediction traffic goes straight to the proxy handler, the rest to the Hono app.
// Also owns graceful shutdown: stop accepting, finish in-flight requests, flush events, exit.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createApp } from './http/app.js';
import { ProxyHandler } from './gateway/proxy-handler.js';
import { closeServices, type Services } from './services.js';
import { ApiError, errorBody } from './errors/api-error.js';
import { sendError } from './gateway/node-response.js';

/** "." or ".." path segments, raw or percent-encoded: an upstream could resolve them outside the arm's path. */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

export function hasDotSegment(path: string): boolean {
  return (path.includes('.') || path.includes('%')) && DOT_SEGMENT.test(path);
}

export interface Gateway {
  readonly server: Server;
  readonly services: Services;
  /** Resolves once listening; the port actually bound (useful with port 0). */
  listen(port?: number, host?: string): Promise<number>;
  /** Graceful stop: no new connections, in-flight requests finish (up to the timeout), events flushed. */
  close(timeoutMs?: number): Promise<void>;
}

export function createGateway(services: Services): Gateway {
  const app = createApp(services);
  const honoListener = getRequestListener(app.fetch);
  const proxy = new ProxyHandler({
    upstreams: services.upstreams,
    store: services.store,
    maxBodyBytes: services.settings.maxBodyBytes,
    requestId: services.requestId,
    now: services.now,
    observe: services.observe,
  });

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (hasDotSegment(path)) {
      sendError(
        res,
        new ApiError('bad_path', 'path must not contain "." or ".." segments'),
        services.requestId(),
      );
      return;
    }
    // The current snapshot, read per request: live changes apply to the next request, never mid-request.
    const match = services.catalog.routes.match(path);
    if (match) proxy.handle(req, res, match, q === -1 ? '' : url.slice(q));
    else void honoListener(req, res);
  });
  // Malformed requests Node rejects before any handler runs still get a JSON error.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (err.code === 'ECONNRESET' && !socket.readable)) return socket.destroy();
    const tooBig = err.code === 'HPE_HEADER_OVERFLOW';
    const body = JSON.stringify(
      errorBody(
        new ApiError(
          tooBig ? 'headers_too_large' : 'bad_request',
          tooBig ? 'request headers are too large' : `malformed HTTP request (${err.code ?? 'parse error'})`,
        ),
        services.requestId(),
      ),
    );
    socket.end(
      `HTTP/1.1 ${tooBig ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  // Slow-loris guard; generous enough for large model payloads on slow links.
  server.headersTimeout = 30_000;
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;

  let closing: Promise<void> | undefined;
  return {
    server,
    services,
    listen(port = services.settings.port, host = services.settings.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    close(timeoutMs = services.settings.shutdownTimeoutMs) {
      closing ??= (async () => {
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Keep-alive connections close as soon as their current response ends.
        const idle = setInterval(() => server.closeIdleConnections(), 100);
        const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
        try {
          if (server.listening) await drained;
        } finally {
          clearInterval(idle);
          clearTimeout(timer);
        }
        await closeServices(services);
      })();
      return closing;
    },
  };
}
