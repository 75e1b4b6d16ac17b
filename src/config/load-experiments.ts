// Loads and validates every experiment file in a folder (YAML or JSON).
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { experimentSchema, type ExperimentDefinition } from './experiment-schema.js';
import { isRouted } from '../core/lifecycle.js';
import { interpolateDocument, type Environment } from './interpolate.js';

const EXTENSIONS = /\.(ya?ml|json)$/i;

/** Largest experiment file read: a definition is a few KiB; a huge file would stall start-up. */
export const MAX_EXPERIMENT_FILE_BYTES = 1024 * 1024;

/** Most YAML alias expansions in one file (an alias bomb expands exponentially). */
const MAX_YAML_ALIASES = 100;

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
    // Paused, concluded and rolled-back experiments still route, so they hold their path too.
    if (isRouted(d.status)) {
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
  return /\.json$/i.test(name) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: MAX_YAML_ALIASES });
}

/** The file's text, or why it cannot be read: not a regular file, or over MAX_EXPERIMENT_FILE_BYTES. */
async function readExperimentFile(path: string): Promise<{ text: string } | { problem: string }> {
  // Non-blocking, so a FIFO named like an experiment file cannot hang start-up in open().
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { problem: 'is not a regular file' };
    if (stat.size > MAX_EXPERIMENT_FILE_BYTES) {
      return {
        problem: `is ${stat.size} bytes; experiment files may be at most ${MAX_EXPERIMENT_FILE_BYTES} bytes (1 MiB)`,
      };
    }
    // One byte more than stat() said, to notice a file that grew meanwhile.
    const buffer = Buffer.alloc(stat.size + 1);
    let bytesRead = 0;
    for (let n = -1; n !== 0 && bytesRead < buffer.length; bytesRead += n) {
      n = (await handle.read(buffer, bytesRead, buffer.length - bytesRead, bytesRead)).bytesRead;
    }
    if (bytesRead > stat.size) return { problem: 'changed while it was read; try again' };
    return { text: buffer.toString('utf8', 0, bytesRead) };
  } finally {
    await handle.close();
  }
}

/** Whether `name` is an experiment file (*.yaml, *.yml, *.json). */
export function isExperimentFile(name: string): boolean {
  return EXTENSIONS.test(name);
}

/** Reads, parses and validates the experiment file `name` in `dir`: the definition, or the problems. */
export async function loadExperimentFile(
  dir: string,
  name: string,
  env: Environment = process.env,
): Promise<{ loaded: LoadedExperiment } | { file: string; problems: string[] }> {
  const path = join(dir, name);
  const file = relative(process.cwd(), path) || path;
  let read: Awaited<ReturnType<typeof readExperimentFile>>;
  try {
    read = await readExperimentFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { file, problems: [`${file}: (file): cannot be read (${code ?? String(err)})`] };
  }
  if ('problem' in read) return { file, problems: [`${file}: (file): ${read.problem}`] };
  let doc: unknown;
  try {
    doc = parseDocument(name, read.text);
  } catch (err) {
    const what = /\.json$/i.test(name) ? 'JSON' : 'YAML';
    return { file, problems: [`${file}: (file): not valid ${what}: ${(err as Error).message}`] };
  }
  const resolved = interpolateDocument(doc, env);
  if (resolved.problems.length > 0) {
    return { file, problems: resolved.problems.map((p) => `${file}: ${p.field}: ${p.message}`) };
  }
  const result = validateExperimentDocument(file, resolved.value);
  if ('problems' in result) return { file, problems: result.problems };
  return { loaded: { file, definition: result.definition } };
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
    const result = await loadExperimentFile(dir, name, env);
    if ('problems' in result) problems.push(...result.problems);
    else loaded.push(result.loaded);
  }
  problems.push(...checkExperimentSet(loaded));
  if (problems.length > 0) throw new ConfigError(problems);
  return loaded;
}
