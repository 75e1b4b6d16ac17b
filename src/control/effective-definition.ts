// The bridge between experiment files and live state: what a file says about the fields live control
// may change (with a content hash), and the effective definition = the file overlaid with live state.
import { createHash } from 'node:crypto';
import type { ExperimentDefinition } from '../config/experiment-schema.js';
import type { LoadedExperiment } from '../config/load-experiments.js';
import type { FileValues, LiveState } from '../core/lifecycle.js';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * Content hash of a parsed definition (16 hex digits of SHA-256 over canonical JSON): comments,
 * formatting and key order do not change it; any value does.
 */
export function definitionHash(definition: ExperimentDefinition): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(definition)))
    .digest('hex')
    .slice(0, 16);
}

export function fileValuesOf(loaded: LoadedExperiment): FileValues {
  const d = loaded.definition;
  return {
    hash: definitionHash(d),
    file: loaded.file,
    status: d.status,
    traffic: d.traffic,
    weights: Object.fromEntries(d.arms.map((a) => [a.name, a.weight])),
    winner: d.winner ?? null,
    salt: d.salt,
    hashVersion: d.hash_version,
  };
}

/**
 * The file's definition with the live status, traffic, weights and winner. Arms come from the file
 * (a live weight for an arm the file no longer has is ignored; an arm it does not know keeps the file's).
 */
export function effectiveDefinition(
  definition: ExperimentDefinition,
  state: LiveState,
): ExperimentDefinition {
  const { winner: _fileWinner, ...rest } = definition;
  const winner = state.winner ?? undefined;
  return {
    ...rest,
    status: state.status,
    traffic: state.traffic,
    arms: definition.arms.map((a) => ({ ...a, weight: state.weights[a.name] ?? a.weight })),
    ...(winner !== undefined ? { winner } : {}),
  };
}
