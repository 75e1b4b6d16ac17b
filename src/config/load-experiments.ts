// Loads and validates every experiment file in a folder (YAML or JSON).
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { experimentSchema, type ExperimentDefinition } from './experiment-schema.js';
import { interpolateDocument, type Environment } from './interpolate.js';

const EXTENSIONS = /\.(ya?ml|json)$/i;

export interface LoadedExperiment {
  readonly file: string;
  readonly definition: ExperimentDefinition;
}

function formatIssue(file: string, issue: z.core.$ZodIssue): string {
  const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  return `${file}: ${field}: ${issue.message}`;
}

/** Validates one parsed document; returns the definition or the problems naming file, field, reason. */
export function validateExperimentDocument(
  file: string,
  doc: unknown,
): { definition: ExperimentDefinition } | { problems: string[] } {
  const parsed = experimentSchema.safeParse(doc);
  if (parsed.success) return { definition: parsed.data };
  return { problems: parsed.error.issues.map((i) => formatIssue(file, i)) };
}

/** Checks rules that span files: unique ids, one routed experiment per path. */
export function checkExperimentSet(loaded: readonly LoadedExperiment[]): string[] {
  const problems: string[] = [];
  const byId = new Map<string, string>();
  const byPath = new Map<string, string>();
  for (const { file, definition: d } of loaded) {
    const otherId = byId.get(d.id);
    if (otherId) problems.push(`${file}: id: "${d.id}" is already defined in ${otherId}`);
    byId.set(d.id, file);
    // Paused experiments still route (to control), so they hold their path too.
    if (d.status === 'running' || d.status === 'paused') {
      const otherPath = byPath.get(d.route.path);
      if (otherPath) {
        problems.push(`${file}: route.path: "${d.route.path}" is already served by ${otherPath}`);
      }
      byPath.set(d.route.path, `${file} (${d.id})`);
    }
  }
  return problems;
}

function parseDocument(name: string, text: string): unknown {
  return /\.json$/i.test(name) ? JSON.parse(text) : parseYaml(text);
}

export interface LoadExperimentsOptions {
  /** Variables for `${NAME}` / `${NAME:-default}` in string values. @default process.env */
  readonly env?: Environment;
}

/**
 * Reads every *.yaml, *.yml and *.json file in `dir` (not recursive), resolves environment
 * variables in its string values, validates each and the set.
 * Throws ConfigError listing every problem (file, field, reason) when anything is wrong.
 */
export async function loadExperiments(
  dir: string,
  options: LoadExperimentsOptions = {},
): Promise<LoadedExperiment[]> {
  const env = options.env ?? process.env;
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => EXTENSIONS.test(n)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([`${dir}: cannot read the experiments folder (${code ?? String(err)})`]);
  }
  const problems: string[] = [];
  const loaded: LoadedExperiment[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const file = relative(process.cwd(), path) || path;
    let doc: unknown;
    try {
      doc = parseDocument(name, await readFile(path, 'utf8'));
    } catch (err) {
      problems.push(
        `${file}: (file): not valid ${/\.json$/i.test(name) ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
      );
      continue;
    }
    const resolved = interpolateDocument(doc, env);
    if (resolved.problems.length > 0) {
      problems.push(...resolved.problems.map((p) => `${file}: ${p.field}: ${p.message}`));
      continue;
    }
    const result = validateExperimentDocument(file, resolved.value);
    if ('problems' in result) problems.push(...result.problems);
    else loaded.push({ file, definition: result.definition });
  }
  problems.push(...checkExperimentSet(loaded));
  if (problems.length > 0) throw new ConfigError(problems);
  return loaded;
}
