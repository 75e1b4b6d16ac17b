// The OpenAPI 3.1 document of /api/v1, generated from the zod schemas the endpoints validate with
// (z.toJSONSchema), so the description cannot drift from what the gateway accepts.
import { z } from 'zod';
import { experimentSchema } from '../config/experiment-schema.js';
import type { Settings } from '../config/settings.js';
import { assignRequest } from './routes/assign.js';
import { outcomeEventSchema } from './outcome-validation.js';
import { patchRequest } from './routes/control.js';

const errorBody = z
  .strictObject({
    error: z.looseObject({
      code: z.string().meta({ description: 'machine-readable error code, e.g. validation_failed' }),
      message: z.string().meta({ description: 'what went wrong and what to change' }),
      request_id: z.string(),
    }),
  })
  .meta({ description: 'Every error answer' });

const assignResponse = z.strictObject({
  experiment: z.string(),
  arm: z.string(),
  in_experiment: z
    .boolean()
    .meta({ description: 'false: outside traffic or paused; served by control, not counted' }),
});

const count = z.number().int().nonnegative();
const outcomesResponse = z.strictObject({
  accepted: count.meta({ description: 'counted for at least one experiment the user was exposed in' }),
  duplicates: count.meta({ description: 'event_id seen before within the dedup window' }),
  unattributed: count.meta({ description: 'the user was not exposed in any experiment tracking the metric' }),
  held: count.meta({
    description:
      'no exposure of the user yet: kept for the attribution grace period and counted if it arrives',
  }),
  queued: count.meta({
    description: 'recorded durably; the final status is not known yet (store behind or away)',
  }),
  rejected: z.array(
    z.strictObject({
      index: count,
      code: z.enum([
        'invalid_event',
        'unknown_metric',
        'unknown_experiment',
        'invalid_value',
        'store_refused',
      ]),
      message: z.string(),
    }),
  ),
});

const experimentSummary = z.strictObject({
  id: z.string(),
  description: z.string(),
  status: z.string(),
  route: z.string(),
  traffic: z.number(),
  arms: z.array(
    z.strictObject({
      name: z.string(),
      weight: z.number(),
      control: z.boolean(),
      exposures: count.nullable().meta({ description: 'null while the store cannot be read' }),
    }),
  ),
  exposures: count.nullable(),
  metrics: z.array(z.string()),
});

type JsonSchema = Record<string, unknown>;

/** A zod schema as the JSON Schema (2020-12, OpenAPI 3.1's dialect) of what a client sends or gets. */
function schema(s: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

const json = (s: JsonSchema) => ({ 'application/json': { schema: s } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function errors(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((s) => [String(s), { description: 'error', content: json(ref('Error')) }]),
  );
}

/** The document for this gateway's settings (batch limit, body size, whether a token is needed). */
export function openApiDocument(
  settings: Pick<Settings, 'outcomeBatchLimit' | 'apiToken' | 'ingestToken'>,
  version: string,
) {
  const event = schema(outcomeEventSchema, 'input');
  const secured = settings.apiToken !== undefined ? { security: [{ bearer: [] }] } : {};
  const ingest = settings.ingestToken !== undefined ? { security: [{ ingest: [] }] } : {};
  const admin = { security: [{ admin: [] }] };
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  return {
    openapi: '3.1.0',
    info: {
      title: 'abgate API',
      version,
      description:
        'Assignment, outcome ingestion and reports of the abgate gateway. Prediction traffic goes to ' +
        "each experiment's own route and is not part of this API.",
    },
    paths: {
      '/api/v1/assign': {
        post: {
          operationId: 'assign',
          summary: 'The arm of a user, for applications that call the model themselves; records the exposure',
          ...ingest,
          requestBody: { required: true, content: json(schema(assignRequest, 'input')) },
          responses: {
            '200': { description: 'the assignment', content: json(schema(assignResponse)) },
            ...errors(400, 404, 409, 413, 415),
          },
        },
      },
      '/api/v1/outcomes': {
        post: {
          operationId: 'recordOutcomes',
          summary: 'One outcome event or a batch; valid events are stored even when others are rejected',
          ...ingest,
          requestBody: {
            required: true,
            content: json({
              oneOf: [
                ref('OutcomeEvent'),
                {
                  type: 'array',
                  items: ref('OutcomeEvent'),
                  minItems: 1,
                  maxItems: settings.outcomeBatchLimit,
                },
              ],
            }),
          },
          responses: {
            '202': { description: 'one status per event', content: json(schema(outcomesResponse)) },
            ...errors(400, 401, 413, 415, 503),
          },
        },
      },
      '/api/v1/experiments': {
        get: {
          operationId: 'listExperiments',
          summary: 'Experiments with their status and exposures',
          ...secured,
          responses: {
            '200': {
              description: 'every loaded experiment',
              content: json({
                type: 'object',
                properties: { experiments: { type: 'array', items: schema(experimentSummary) } },
                required: ['experiments'],
              }),
            },
            ...errors(401),
          },
        },
      },
      '/api/v1/experiments/{id}': {
        get: {
          operationId: 'getExperiment',
          summary:
            'The effective definition (file overlaid with live state) and its live state; ETag: its version',
          ...secured,
          parameters: [idParam],
          responses: {
            '200': { description: 'the experiment', content: json(ref('Experiment')) },
            ...errors(401, 404),
          },
        },
        patch: {
          operationId: 'changeExperiment',
          summary: 'A live change (status, traffic, weights, winner) with If-Match of the version read',
          ...admin,
          parameters: [
            idParam,
            { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } },
          ],
          requestBody: { required: true, content: json(schema(patchRequest, 'input')) },
          responses: {
            '200': { description: 'the experiment after the change', content: json(ref('Experiment')) },
            ...errors(400, 401, 403, 404, 409, 412, 503),
          },
        },
      },
      '/api/v1/experiments/{id}/history': {
        get: {
          operationId: 'getHistory',
          summary: 'Every change, oldest first: time, actor, source, before, after, reason',
          ...secured,
          parameters: [idParam],
          responses: {
            '200': { description: 'the history', content: json({ type: 'object' }) },
            ...errors(401, 404, 503),
          },
        },
      },
      '/api/v1/experiments/{id}/report': {
        get: {
          operationId: 'getReport',
          summary: 'The significance report: JSON, or CSV with one row per metric and arm',
          ...secured,
          parameters: [
            idParam,
            {
              name: 'format',
              in: 'query',
              required: false,
              schema: { enum: ['json', 'csv'], default: 'json' },
            },
            {
              name: 'phase',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1 },
              description: 'an earlier allocation phase (default: the current one)',
            },
          ],
          responses: {
            '200': {
              description: 'the report',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['experiment', 'generated_at'],
                    properties: { experiment: { type: 'string' }, generated_at: { type: 'string' } },
                    description: 'per-arm exposures, per-metric estimates, intervals, p-values and verdicts',
                  },
                },
                'text/csv': { schema: { type: 'string' } },
              },
            },
            ...errors(400, 401, 404, 503),
          },
        },
      },
      '/api/v1/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) } },
        },
      },
    },
    components: {
      schemas: {
        OutcomeEvent: event,
        Experiment: schema(experimentSchema, 'input'),
        Error: schema(errorBody),
      },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'ABGATE_API_TOKEN' },
        ingest: { type: 'http', scheme: 'bearer', description: 'ABGATE_INGEST_TOKEN' },
        admin: { type: 'http', scheme: 'bearer', description: 'ABGATE_ADMIN_TOKEN' },
      },
    },
  };
}
