// Allocation: maps a unit id to an arm of an experiment. Pure: same inputs, same answer.
import { BUCKETS, hashBucket } from './hash.js';

export interface AllocationArm {
  readonly name: string;
  /** Relative weight, > 0. */
  readonly weight: number;
}

export interface AllocationSpec {
  readonly salt: string;
  readonly hashVersion: number;
  /** Percent of units included, 0–100. */
  readonly traffic: number;
  readonly arms: readonly AllocationArm[];
  /** Index into `arms` of the control arm. */
  readonly controlIndex: number;
}

/** An allocation with its weights turned into contiguous bucket ranges, computed once per experiment. */
export interface CompiledAllocation extends AllocationSpec {
  /** upperBounds[i] is the exclusive upper bucket of arm i; the last one is BUCKETS. */
  readonly upperBounds: readonly number[];
  /** Units whose traffic bucket is below this are in the experiment. */
  readonly trafficCutoff: number;
}

export class AllocationError extends Error {
  override readonly name = 'AllocationError';
}

/**
 * Turns relative weights into contiguous bucket ranges [0, b0), [b0, b1), …, [b(n-2), BUCKETS).
 * Throws AllocationError when an arm would receive no bucket at all (weight too small).
 */
export function bucketRanges(weights: readonly number[]): number[] {
  if (weights.length === 0) throw new AllocationError('at least one arm is needed');
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0) || weights.some((w) => !(w > 0) || !Number.isFinite(w))) {
    throw new AllocationError('weights must be finite and positive');
  }
  const bounds: number[] = [];
  let cumulative = 0;
  let previous = 0;
  for (let i = 0; i < weights.length; i++) {
    cumulative += weights[i]!;
    const bound = i === weights.length - 1 ? BUCKETS : Math.round((cumulative / total) * BUCKETS);
    if (bound <= previous) {
      throw new AllocationError(
        `arm ${i} gets no bucket: its weight is below 1/${BUCKETS} of the total; raise it`,
      );
    }
    bounds.push(bound);
    previous = bound;
  }
  return bounds;
}

export function compileAllocation(spec: AllocationSpec): CompiledAllocation {
  if (!(spec.traffic >= 0 && spec.traffic <= 100)) throw new AllocationError('traffic must be 0–100');
  if (spec.controlIndex < 0 || spec.controlIndex >= spec.arms.length) {
    throw new AllocationError('controlIndex out of range');
  }
  return {
    ...spec,
    upperBounds: bucketRanges(spec.arms.map((a) => a.weight)),
    trafficCutoff: Math.round(spec.traffic * (BUCKETS / 100)),
  };
}

/** Index of the arm whose bucket range holds `bucket`. */
export function armForBucket(upperBounds: readonly number[], bucket: number): number {
  for (let i = 0; i < upperBounds.length; i++) {
    if (bucket < upperBounds[i]!) return i;
  }
  return upperBounds.length - 1;
}

/** Whether the unit falls inside the experiment's traffic share (the first draw). */
export function inTraffic(alloc: CompiledAllocation, unitId: string): boolean {
  if (alloc.trafficCutoff >= BUCKETS) return true;
  if (alloc.trafficCutoff <= 0) return false;
  const bucket = hashBucket(alloc.hashVersion, 'traffic', alloc.salt, unitId);
  if (bucket === undefined) throw new AllocationError(`unknown hash_version ${alloc.hashVersion}`);
  return bucket < alloc.trafficCutoff;
}

/** The arm index the unit hashes to (the second draw), regardless of traffic. */
export function armIndexFor(alloc: CompiledAllocation, unitId: string): number {
  const bucket = hashBucket(alloc.hashVersion, 'arm', alloc.salt, unitId);
  if (bucket === undefined) throw new AllocationError(`unknown hash_version ${alloc.hashVersion}`);
  return armForBucket(alloc.upperBounds, bucket);
}
