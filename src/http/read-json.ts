// Reads a JSON request body, turning every way it can be wrong into a named 4xx.
import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from '../errors/api-error.js';

export async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type');
  if (type !== undefined && !/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
    throw new ApiError('unsupported_media_type', `body must be application/json, not "${type}"`);
  }
  const text = await c.req.text();
  if (text.trim() === '') throw new ApiError('invalid_json', 'request body is empty; expected JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ApiError('invalid_json', `request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** "field: reason; field: reason" from zod issues. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
}

export async function readValidated<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  const parsed = schema.safeParse(await readJson(c));
  if (!parsed.success) throw new ApiError('validation_failed', describeIssues(parsed.error.issues));
  return parsed.data;
}
