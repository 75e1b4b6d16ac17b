// The Hono app for everything that is not prediction traffic: API, reports, probes, metrics.
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import { ApiError, errorBody, toApiError } from '../errors/api-error.js';
import type { Services } from '../services.js';
import type { AppEnv } from './env.js';
import { assignRoutes } from './routes/assign.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { outcomeRoutes } from './routes/outcomes.js';
import { experimentRoutes } from './routes/experiments.js';
import { reportPageRoutes } from './routes/reports.js';
import { requireToken } from './auth.js';

export function createApp(services: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use(requestId({ limitLength: 128, generator: () => services.requestId() }));
  app.use(async (c, next) => {
    c.set('services', services);
    const start = performance.now();
    await next();
    const path = c.req.path;
    if (path === '/healthz' || path === '/readyz' || path === '/metrics') return;
    services.observe({
      requestId: c.var.requestId,
      method: c.req.method,
      path,
      status: c.res.status,
      totalMs: performance.now() - start,
      ...(c.error && !(c.error instanceof ApiError) ? { cause: c.error } : {}),
    });
  });
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

  const guard = requireToken(services.settings.apiToken);
  app.use('/api/v1/experiments', guard);
  app.use('/api/v1/experiments/*', guard);
  app.use('/reports/*', guard);

  app.route('/', healthRoutes);
  app.route('/', metricsRoutes);
  app.route('/', assignRoutes);
  app.route('/', outcomeRoutes);
  app.route('/', experimentRoutes);
  app.route('/', reportPageRoutes);

  app.notFound((c) => {
    const err = new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`);
    return c.json(errorBody(err, c.var.requestId ?? ''), 404);
  });
  app.onError((err, c) => {
    // Middleware answers (e.g. bearerAuth's 401) come as HTTPExceptions carrying their response.
    if (err instanceof HTTPException) return err.getResponse();
    const apiError = toApiError(err);
    if (apiError.status >= 500)
      services.logger.error({ err, request_id: c.var.requestId }, 'unhandled error');
    return c.json(errorBody(apiError, c.var.requestId ?? ''), apiError.status);
  });
  return app;
}
