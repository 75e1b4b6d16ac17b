// Routing decision for one request: which arm serves it and whether it is an exposure.
import { armIndexFor, inTraffic, type CompiledAllocation } from './allocation.js';
import type { LifecycleStatus } from './lifecycle.js';

export type ExperimentStatus = LifecycleStatus;

/** Why a request was served by the arm it was. */
export type DecisionReason =
  | 'assigned' // in the experiment, hashed to this arm: an exposure
  | 'not_in_traffic' // outside the traffic share: control, no exposure
  | 'paused' // experiment paused: control, no exposure
  | 'missing_unit' // no unit id and missing_unit=control: control, no exposure
  | 'concluded' // experiment concluded: the winner serves everyone, no exposure
  | 'rolled_back' // experiment rolled back: control serves everyone, no exposure
  | 'forced'; // QA override header: that arm, no exposure

export interface Decision {
  readonly armIndex: number;
  /** True only when this request counts as an exposure of the unit to the arm. */
  readonly exposure: boolean;
  readonly reason: DecisionReason;
}

const decisionCache = new Map<string, Decision>();
/** Decisions are immutable and few, so they are shared instead of allocated per request. */
function decision(armIndex: number, reason: DecisionReason): Decision {
  const key = `${armIndex}:${reason}`;
  let d = decisionCache.get(key);
  if (!d) {
    d = Object.freeze({ armIndex, exposure: reason === 'assigned', reason });
    decisionCache.set(key, d);
  }
  return d;
}

/**
 * Decide the arm for a unit. `unitId` undefined means the request carried none and the
 * experiment serves such requests by control. `forcedArmIndex` comes from the QA header,
 * already resolved to an index by the caller. `winnerIndex` is the concluded experiment's winner
 * (control when absent).
 */
export function decide(
  alloc: CompiledAllocation,
  status: ExperimentStatus,
  unitId: string | undefined,
  forcedArmIndex?: number,
  winnerIndex?: number,
): Decision {
  if (forcedArmIndex !== undefined) return decision(forcedArmIndex, 'forced');
  if (status === 'concluded') return decision(winnerIndex ?? alloc.controlIndex, 'concluded');
  if (status === 'rolled_back') return decision(alloc.controlIndex, 'rolled_back');
  if (status === 'paused') return decision(alloc.controlIndex, 'paused');
  if (unitId === undefined) return decision(alloc.controlIndex, 'missing_unit');
  if (!inTraffic(alloc, unitId)) return decision(alloc.controlIndex, 'not_in_traffic');
  return decision(armIndexFor(alloc, unitId), 'assigned');
}
