// The HTTP server: prediction traffic goes straight to the proxy handler, the rest to the Hono app.
// Also owns graceful shutdown: stop accepting, finish in-flight requests, flush events, exit.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createApp } from './http/app.js';
import { ProxyHandler } from './gateway/proxy-handler.js';
import { warmUpstreams, type UpstreamReadiness, type WarmupOptions } from './gateway/upstream-warmup.js';
import { closeServices, type Services } from './services.js';
import type { CloseResult } from './store/event-store.js';
import { ApiError } from './errors/api-error.js';
import { sendError } from './gateway/node-response.js';
import { forcedArmPolicy } from './security/forced-arm.js';
import { defaultConnectionCap } from './security/connection-cap.js';
import {
  clientErrorFor,
  endWithError,
  PROXY_ALLOW,
  REFUSED_METHODS,
  requestRefusal,
} from './security/request-guard.js';

/** Longest wait for request headers (slow-loris guard); never more than the whole request's timeout. */
const HEADERS_TIMEOUT_MS = 30_000;

export interface Gateway {
  readonly server: Server;
  readonly services: Services;
  /** The upstream warm-up /readyz waits for. */
  readonly upstreamReadiness: UpstreamReadiness;
  /** Resolves once listening; the port actually bound (useful with port 0). */
  listen(port?: number, host?: string): Promise<number>;
  /**
   * Graceful stop: no new connections, in-flight requests finish (up to the timeout), then the store
   * applies or journals their events. Resolves with what the store could not keep.
   */
  close(timeoutMs?: number): Promise<CloseResult>;
}

export interface GatewayOptions {
  /** Connections opened to every arm upstream before /readyz says ready. */
  readonly warmup?: WarmupOptions;
}

export function createGateway(services: Services, options: GatewayOptions = {}): Gateway {
  const origins = services.catalog.list().flatMap((e) => e.arms.map((a) => a.origin));
  const upstreamReadiness = warmUpstreams(services.upstreams, origins, options.warmup);
  const app = createApp(services, upstreamReadiness);
  const honoListener = getRequestListener(app.fetch);
  const proxy = new ProxyHandler({
    upstreams: services.upstreams,
    store: services.store,
    maxBodyBytes: services.settings.maxBodyBytes,
    requestId: services.requestId,
    now: services.now,
    observe: services.observe,
    forcedArms: forcedArmPolicy(services.settings),
    guardrails: services.guardrails,
    shadows: services.shadows,
  });

  const { requestTimeoutMs } = services.settings;
  const headersTimeoutMs = Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs);
  const server = createServer(
    {
      // Slow clients: headers and whole requests (slow bodies) have a deadline, checked often enough
      // for it to hold within a few percent.
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(requestTimeoutMs / 4)),
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      const refusal = requestRefusal(req, path);
      if (refusal) {
        sendError(res, refusal, services.requestId(), { connection: 'close' });
        return;
      }
      // The current snapshot, read per request: live changes apply to the next request, never mid-request.
      const match = services.catalog.routes.match(path);
      if (match && REFUSED_METHODS.has(req.method ?? '')) {
        const err = new ApiError('method_not_allowed', `${req.method} is not forwarded to experiment arms`);
        sendError(res, err, services.requestId(), { allow: PROXY_ALLOW });
      } else if (match) proxy.handle(req, res, match, q === -1 ? '' : url.slice(q));
      else void honoListener(req, res);
    },
  );
  // Every header is seen (the header byte limit bounds them): Node's default drops those past the
  // 2000th, which would hide a Content-Length or Transfer-Encoding from the proxy (request smuggling).
  server.maxHeadersCount = 0;
  server.keepAliveTimeout = 65_000;
  server.maxConnections = services.settings.maxConnections ?? defaultConnectionCap();
  // Malformed or too slow requests Node rejects itself still get a JSON error.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (err.code === 'ECONNRESET' && !socket.readable)) return socket.destroy();
    // Too late for a status once a response started (Node's own handler checks the same field).
    const current = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (current?.headersSent) return socket.destroy();
    const timeouts = { headersMs: headersTimeoutMs, requestMs: requestTimeoutMs };
    endWithError(socket, clientErrorFor(err.code, timeouts), services.requestId());
  });
  // CONNECT never reaches the request handler: answer it here rather than drop the connection.
  server.on('connect', (_req: IncomingMessage, socket) => {
    const err = new ApiError('method_not_allowed', 'CONNECT is not supported: abgate is not a forward proxy');
    endWithError(socket, err, services.requestId());
  });

  let closing: Promise<CloseResult> | undefined;
  return {
    server,
    services,
    upstreamReadiness,
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
          // Resolves once every connection is gone, i.e. every in-flight request has ended and recorded
          // its exposure; only then may the store close (server.listening is false from close() on).
          await drained;
        } finally {
          clearInterval(idle);
          clearTimeout(timer);
        }
        return closeServices(services);
      })();
      return closing;
    },
  };
}
