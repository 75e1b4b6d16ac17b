// The Hono app for everything that is not prediction traffic: API, reports, probes, metrics.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { matchedRoutes } from 'hono/route';
import type { Context } from 'hono';
import { requestIdFrom } from '../gateway/request-id.js';
import { ALWAYS_READY, type UpstreamReadiness } from '../gateway/upstream-warmup.js';
import { ApiError, errorBody, toApiError } from '../errors/api-error.js';
import type { Services } from '../services.js';
import type { AppEnv } from './env.js';
import { assignRoutes } from './routes/assign.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { outcomeRoutes } from './routes/outcomes.js';
import { experimentRoutes } from './routes/experiments.js';
import { reportPageRoutes } from './routes/reports.js';
import { openApiRoutes } from './routes/openapi.js';
import { requireToken } from './auth.js';
import { requireAdmin } from './admin-auth.js';
import { controlRoutes } from './routes/control.js';
import { reportLoginRoutes } from './routes/report-login.js';
import { ReportSessions, requireReportAccess } from './report-session.js';

/** Status logged (never sent) when the client went away before its request arrived, as nginx does. */
const CLIENT_CLOSED = 499;

/** The gateway's own endpoints and their methods, to tell 405 from 404. */
const ENDPOINTS: readonly [RegExp, string][] = [
  [/^\/api\/v1\/(assign|outcomes)$/, 'POST'],
  [/^\/(healthz|readyz|metrics|v2\/health\/(live|ready))$/, 'GET, HEAD'],
  [/^\/api\/v1\/openapi\.json$/, 'GET, HEAD'],
  [/^\/api\/v1\/experiments(\/[^/]+\/(report|history))?$/, 'GET, HEAD'],
  [/^\/api\/v1\/experiments\/[^/]+$/, 'GET, HEAD, PATCH'],
  [/^\/reports\/_login$/, 'GET, HEAD, POST'],
  [/^\/reports\/_logout$/, 'POST'],
  [/^\/reports\/?$/, 'GET, HEAD'],
  [/^\/reports\/[^/_][^/]*$/, 'GET, HEAD'],
];

function allowedMethods(path: string): string | undefined {
  return ENDPOINTS.find(([re]) => re.test(path))?.[1];
}

/** Probes and scrapes: measured, but logged only when they fail. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics', '/v2/health/live', '/v2/health/ready']);

/** The route pattern that answered (`/api/v1/experiments/:id`), or `unmatched`: bounded label values. */
function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]!;
    if (r.method !== 'ALL') return r.path;
  }
  return 'unmatched';
}

export function createApp(
  services: Services,
  upstreamReadiness: UpstreamReadiness = ALWAYS_READY,
): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    // Same rule as the proxy: keep a sane client id, else generate one.
    const id = requestIdFrom(c.req.header('x-request-id'), services.requestId);
    c.set('requestId', id);
    c.header('x-request-id', id);
    c.set('services', services);
    const start = performance.now();
    await next();
    const path = c.req.path;
    const status = c.res.status;
    const error = c.error;
    // The one log line of the request (onError does not log): unexpected errors carry their cause.
    services.observe({
      requestId: c.var.requestId,
      method: c.req.method,
      path,
      route: routeOf(c),
      status,
      totalMs: performance.now() - start,
      ...(PROBES.has(path) && status < 400 ? { quiet: true } : {}),
      ...(status === CLIENT_CLOSED
        ? { errorCode: 'client_closed' }
        : error instanceof ApiError
          ? { errorCode: error.code }
          : error
            ? { cause: error }
            : {}),
    });
  });
  if (services.settings.corsOrigins.length > 0) {
    // Browsers may post outcomes from these origins (ABGATE_CORS_ORIGINS); nothing else is shared.
    const origins = services.settings.corsOrigins;
    app.use(
      '/api/v1/outcomes',
      cors({
        origin: origins.includes('*') ? '*' : origins,
        allowMethods: ['POST'],
        allowHeaders: ['content-type', 'authorization', 'x-request-id'],
        exposeHeaders: ['x-request-id'],
        maxAge: 600,
      }),
    );
  }
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: services.settings.maxBodyBytes,
      onError: () => {
        throw new ApiError(
          'payload_too_large',
          `request body exceeds the limit of ${services.settings.maxBodyBytes} bytes`,
        );
      },
    }),
  );

  const { apiToken, ingestToken, adminToken } = services.settings;
  const admins = (adminToken ?? []).map((t) => ({ variable: 'ABGATE_ADMIN_TOKEN', token: t.token }));
  // Reads: the API token, and (once reads are closed at all) the admin tokens: an admin reads too.
  const readers =
    apiToken === undefined ? [] : [{ variable: 'ABGATE_API_TOKEN', token: apiToken }, ...admins];
  const guard = requireToken(readers);
  app.use('/api/v1/experiments', guard);
  app.use('/api/v1/experiments/*', guard);
  // Report pages: the same tokens, or (for browsers) the login form's session cookie.
  const sessions = new ReportSessions(
    readers.map((r) => r.token),
    services.now,
  );
  app.use('/reports/*', requireReportAccess(sessions, guard));
  // Live changes need an admin token (admin-auth.ts), whatever the read guard let through.
  app.on('PATCH', '/api/v1/experiments/*', requireAdmin(services.settings));
  const ingest = requireToken([{ variable: 'ABGATE_INGEST_TOKEN', token: ingestToken }]);
  app.use('/api/v1/outcomes', ingest);
  app.use('/api/v1/assign', ingest);
  if (apiToken !== undefined && ingestToken === undefined) {
    services.logger.warn(
      'ABGATE_API_TOKEN is set but ABGATE_INGEST_TOKEN is not: anyone who can reach the gateway may post outcomes and assignments',
    );
  }

  app.route('/', healthRoutes(upstreamReadiness));
  app.route('/', metricsRoutes);
  app.route('/', assignRoutes);
  app.route('/', outcomeRoutes);
  app.route('/', experimentRoutes);
  app.route('/', controlRoutes);
  app.route('/', reportLoginRoutes(sessions));
  app.route('/', reportPageRoutes);
  app.route('/', openApiRoutes);

  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    const err = allowed
      ? new ApiError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}; use ${allowed}`)
      : new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`);
    if (allowed) c.header('allow', allowed);
    return c.json(errorBody(err, c.var.requestId ?? ''), err.status);
  });
  app.onError((err, c) => {
    // Middleware answers (e.g. bearerAuth's 401) come as HTTPExceptions carrying their response.
    if (err instanceof HTTPException) return err.getResponse();
    // The client left (or was timed out) before its request arrived: nobody to answer, no server fault.
    const incoming = (c.env as Partial<AppEnv['Bindings']> | undefined)?.incoming;
    if (incoming?.destroyed === true && !incoming.complete)
      return new Response(null, { status: CLIENT_CLOSED });
    // Not logged here: the request's own log line carries the error (see the first middleware).
    const apiError = toApiError(err);
    // The store could not take the events: nothing was acknowledged, the client should retry shortly.
    if (apiError.code === 'store_unavailable') c.header('retry-after', '1');
    return c.json(errorBody(apiError, c.var.requestId ?? ''), apiError.status);
  });
  return app;
}
