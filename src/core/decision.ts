// Routing decision for one request: which arm serves it and whether it is an exposure.
import { armIndexFor, inTraffic, type CompiledAllocation } from './allocation.js';

export type ExperimentStatus = 'draft' | 'running' | 'paused' | 'stopped';

/** Why a request was served by the arm it was. */
export type DecisionReason =
  | 'assigned' // in the experiment, hashed to this arm: an exposure
  | 'not_in_traffic' // outside the traffic share: control, no exposure
  | 'paused' // experiment paused: control, no exposure
  | 'missing_unit' // no unit id and missing_unit=control: control, no exposure
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
 * already resolved to an index by the caller.
 */
export function decide(
  alloc: CompiledAllocation,
  status: ExperimentStatus,
  unitId: string | undefined,
  forcedArmIndex?: number,
): Decision {
  if (forcedArmIndex !== undefined) return decision(forcedArmIndex, 'forced');
  if (status === 'paused') return decision(alloc.controlIndex, 'paused');
  if (unitId === undefined) return decision(alloc.controlIndex, 'missing_unit');
  if (!inTraffic(alloc, unitId)) return decision(alloc.controlIndex, 'not_in_traffic');
  return decision(armIndexFor(alloc, unitId), 'assigned');
}
