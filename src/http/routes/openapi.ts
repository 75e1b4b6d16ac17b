// GET /api/v1/openapi.json: the API described for clients and code generators.
import { Hono } from 'hono';
import { buildInfo } from '../../build-info.js';
import type { AppEnv } from '../env.js';
import { openApiDocument } from '../openapi.js';

/** Built once per settings object: it only changes with them. */
const documents = new WeakMap<object, ReturnType<typeof openApiDocument>>();

export const openApiRoutes = new Hono<AppEnv>().get('/api/v1/openapi.json', (c) => {
  const { settings } = c.var.services;
  let doc = documents.get(settings);
  if (!doc) documents.set(settings, (doc = openApiDocument(settings, buildInfo().version)));
  return c.json(doc);
});
