// An experiment definition prepared once at start-up for the hot path: allocation ranges,
// arm lookup by name, parsed upstream URLs. Nothing here is recomputed per request.
import { compileAllocation, type CompiledAllocation } from '../core/allocation.js';
import type { LiveState } from '../core/lifecycle.js';
import type { ArmDefinition, ExperimentDefinition } from '../config/experiment-schema.js';

export interface CompiledArm {
  readonly index: number;
  readonly definition: ArmDefinition;
  readonly name: string;
  /** Scheme, host and port of the upstream, the key of its connection pool. */
  readonly origin: string;
  /** Path of the upstream URL without a trailing slash ("" for "/"). */
  readonly basePath: string;
  readonly timeoutMs: number;
  readonly fallbackToControl: boolean;
}

/** route.predict compiled: which requests are predictions. Absent when every request is one. */
export interface PredictionMatcher {
  readonly methods: ReadonlySet<string> | undefined;
  readonly paths: readonly RegExp[] | undefined;
}

export interface CompiledExperiment {
  readonly definition: ExperimentDefinition;
  /** Undefined when every request on the route is a prediction (the default). */
  readonly predict: PredictionMatcher | undefined;
  readonly id: string;
  readonly allocation: CompiledAllocation;
  readonly arms: readonly CompiledArm[];
  readonly control: CompiledArm;
  readonly armIndexByName: ReadonlyMap<string, number>;
  /** Allocation phase exposures and outcomes are recorded in. @default 1 */
  readonly phase: number;
  /** Index of the arm that serves everyone while concluded (the definition's winner). */
  readonly winnerIndex: number | undefined;
  /** The live state the definition was overlaid with (absent when compiled from a file alone). */
  readonly live?: LiveState;
}

function compileArm(arm: ArmDefinition, index: number): CompiledArm {
  const url = new URL(arm.upstream);
  return {
    index,
    definition: arm,
    name: arm.name,
    origin: url.origin,
    basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
    timeoutMs: arm.timeout_ms,
    fallbackToControl: arm.fallback === 'control',
  };
}

/** A sub-path pattern ("*" is one segment, "/" the route itself) as an anchored RegExp. */
function subPathPattern(pattern: string): RegExp {
  const trimmed = pattern.replace(/\/+$/, '');
  const body = trimmed
    .split('/')
    .map((segment) => (segment === '*' ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}/?$`);
}

function compilePredict(definition: ExperimentDefinition): PredictionMatcher | undefined {
  const predict = definition.route.predict;
  if (!predict || (predict.methods === undefined && predict.paths === undefined)) return undefined;
  return {
    methods: predict.methods ? new Set(predict.methods) : undefined,
    paths: predict.paths?.map(subPathPattern),
  };
}

/** Whether a request (method, path after the route) is a prediction of `exp`. */
export function isPrediction(exp: CompiledExperiment, method: string, rest: string): boolean {
  const p = exp.predict;
  if (p === undefined) return true;
  if (p.methods !== undefined && !p.methods.has(method)) return false;
  return p.paths === undefined || p.paths.some((re) => re.test(rest));
}

/** `definition` is the effective one (file overlaid with live state); `live` gives its phase. */
export function compileExperiment(definition: ExperimentDefinition, live?: LiveState): CompiledExperiment {
  const arms = definition.arms.map(compileArm);
  const controlIndex = definition.arms.findIndex((a) => a.control);
  const winnerIndex =
    definition.winner === undefined ? -1 : definition.arms.findIndex((a) => a.name === definition.winner);
  return {
    definition,
    predict: compilePredict(definition),
    id: definition.id,
    allocation: compileAllocation({
      salt: definition.salt,
      hashVersion: definition.hash_version,
      traffic: definition.traffic,
      arms: definition.arms,
      controlIndex,
    }),
    arms,
    control: arms[controlIndex]!,
    armIndexByName: new Map(arms.map((a) => [a.name, a.index])),
    phase: live ? live.phases[live.phases.length - 1]!.phase : 1,
    winnerIndex: winnerIndex === -1 ? undefined : winnerIndex,
    ...(live ? { live } : {}),
  };
}
