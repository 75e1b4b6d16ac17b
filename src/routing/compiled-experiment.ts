// An experiment definition prepared once at start-up for the hot path: allocation ranges,
// arm lookup by name, parsed upstream URLs. Nothing here is recomputed per request.
import { compileAllocation, type CompiledAllocation } from '../core/allocation.js';
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

export interface CompiledExperiment {
  readonly definition: ExperimentDefinition;
  readonly id: string;
  readonly allocation: CompiledAllocation;
  readonly arms: readonly CompiledArm[];
  readonly control: CompiledArm;
  readonly armIndexByName: ReadonlyMap<string, number>;
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

export function compileExperiment(definition: ExperimentDefinition): CompiledExperiment {
  const arms = definition.arms.map(compileArm);
  const controlIndex = definition.arms.findIndex((a) => a.control);
  return {
    definition,
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
  };
}
