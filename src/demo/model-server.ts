// A small real model server for the demo: POST /rank or /churn with {"features": {...}} → a score.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MODELS, score, type Variant } from './models.js';

export interface ModelServerOptions {
  variant: Variant;
  /** @default 9001 for v1, 9002 for v2 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Extra latency added to each prediction, to make the demo realistic. @default 0 */
  latencyMs?: number;
}

function send(res: import('node:http').ServerResponse, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function createModelServer(options: ModelServerOptions): Server {
  const { variant, latencyMs = 0 } = options;
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz') return send(res, 200, { status: 'ok', variant });
    const name = path.slice(1);
    const model = MODELS[name]?.[variant];
    if (!model) return send(res, 404, { error: `no model at ${path}; try /rank or /churn` });
    if (req.method !== 'POST') return send(res, 405, { error: 'POST a JSON body {"features": {...}}' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let features: Record<string, unknown> = {};
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        const body = text === '' ? {} : (JSON.parse(text) as { features?: Record<string, unknown> });
        features = body.features ?? {};
      } catch {
        return send(res, 400, { error: 'body must be JSON: {"features": {...}}' });
      }
      const answer = () =>
        send(res, 200, {
          model: name,
          variant,
          score: Number(score(model, features).toFixed(6)),
          user: req.headers['x-user-id'] ?? null,
        });
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    });
  });
}

export async function startModelServer(
  options: ModelServerOptions,
): Promise<{ server: Server; port: number }> {
  const server = createModelServer(options);
  const port = options.port ?? (options.variant === 'v1' ? 9001 : 9002);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
