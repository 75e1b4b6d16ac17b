// Lifecycle of a live experiment: which status changes are allowed, how a change applies to the live
// state (a new phase when the allocation changes), and how an edited experiment file merges into it.
// Pure: the caller passes the clock reading in; errors are domain errors that know nothing of HTTP.
import { AllocationError, bucketRanges } from './allocation.js';

export const STATUSES = ['draft', 'running', 'paused', 'concluded', 'rolled_back', 'stopped'] as const;
export type LifecycleStatus = (typeof STATUSES)[number];

/** Statuses whose route is served: running, paused, concluded (the winner) and rolled_back (control). */
export function isRouted(status: LifecycleStatus): boolean {
  return status === 'running' || status === 'paused' || status === 'concluded' || status === 'rolled_back';
}

/** Statuses that belong to a phase still collecting data: exposures (running) and outcomes (both). */
export function isCollecting(status: LifecycleStatus): boolean {
  return status === 'running' || status === 'paused';
}

/** Statuses that ended their phase: going back to running or paused from one starts a new phase. */
function hasEnded(status: LifecycleStatus): boolean {
  return status === 'concluded' || status === 'rolled_back' || status === 'stopped';
}

/**
 * Status changes the API allows (files may state any status). draft and stopped are never targets:
 * draft is where files start, stopped is kept for files written before concluded/rolled_back existed.
 */
const TRANSITIONS: Readonly<Record<LifecycleStatus, readonly LifecycleStatus[]>> = {
  draft: ['running'],
  running: ['paused', 'concluded', 'rolled_back'],
  paused: ['running', 'concluded', 'rolled_back'],
  // Either end state may switch to the other (ship the winner after all, or take it back), or restart.
  concluded: ['rolled_back', 'running'],
  rolled_back: ['concluded', 'running'],
  stopped: ['running', 'concluded', 'rolled_back'],
};

export function allowedTransitions(from: LifecycleStatus): readonly LifecycleStatus[] {
  return TRANSITIONS[from];
}

export type Weights = Readonly<Record<string, number>>;

/** What the experiment file said about the fields live control may change, when it was last applied. */
export interface FileValues {
  /** Content hash of the parsed definition: which file content the live state came from. */
  readonly hash: string;
  /** The file, as shown to operators. */
  readonly file: string;
  readonly status: LifecycleStatus;
  readonly traffic: number;
  /** Every arm of the file, in file order. */
  readonly weights: Weights;
  readonly winner: string | null;
  readonly salt: string;
  readonly hashVersion: number;
}

/** One allocation phase: exposures and outcomes are kept per phase. */
export interface PhaseRecord {
  readonly phase: number;
  /** When the phase began collecting (ms since the epoch). */
  readonly startedAt: number;
  readonly weights: Weights;
  readonly salt: string;
  readonly hashVersion: number;
}

/** The live state of one experiment, shared by every gateway. */
export interface LiveState {
  readonly experiment: string;
  /** Incremented by every change; the first load from the file is version 1. */
  readonly version: number;
  readonly status: LifecycleStatus;
  /** When the status last changed (ms since the epoch). */
  readonly statusSince: number;
  readonly traffic: number;
  readonly weights: Weights;
  /** The arm everyone is served by while concluded; null otherwise. */
  readonly winner: string | null;
  /** Oldest first, never empty; the last one is the current phase. */
  readonly phases: readonly PhaseRecord[];
  readonly updatedAt: number;
  /** The file values last applied: the base of the merge when the file changes. */
  readonly file: FileValues;
}

/** The fields a change is about, as recorded in the history. */
export interface StateView {
  readonly status: LifecycleStatus;
  readonly traffic: number;
  readonly weights: Weights;
  readonly winner: string | null;
  readonly phase: number;
}

/** A field where the file says something other than the live state. */
export interface Conflict {
  /** `status`, `traffic`, `winner` or `weights.<arm>`. */
  readonly field: string;
  readonly live: string | number | null;
  readonly file: string | number | null;
}

export interface HistoryEntry {
  readonly experiment: string;
  /** The version this change produced. */
  readonly version: number;
  /** ms since the epoch. */
  readonly at: number;
  /** Who changed it: a token label, `file`, or an in-process driver's name; never a token. */
  readonly actor: string;
  /** file: loaded or merged from the experiment file; api: a live change; restore: written back after the store lost it. */
  readonly source: 'file' | 'api' | 'restore';
  readonly reason: string | null;
  /** null for the first load. */
  readonly before: StateView | null;
  readonly after: StateView;
  /** Fields that changed: status, traffic, weights, winner, phase, file. */
  readonly changes: readonly string[];
  /** After a file change: the live values that still differ from the file (the live change wins). */
  readonly conflicts?: readonly Conflict[];
  /** The file and content hash, for source `file`. */
  readonly file?: { readonly file: string; readonly hash: string };
}

/** A change requested through the API (or an in-process driver). Absent fields stay as they are. */
export interface StatePatch {
  readonly status?: LifecycleStatus;
  readonly traffic?: number;
  /** Some or all arms; arms not named keep their weight. */
  readonly weights?: Weights;
  readonly winner?: string;
}

export type LifecycleErrorKind = 'invalid_transition' | 'invalid_value' | 'unknown_arm';

/** A change the lifecycle refuses; `kind` says why (a conflict with the state, or a bad value). */
export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
  constructor(
    readonly kind: LifecycleErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export function currentPhase(state: LiveState): PhaseRecord {
  return state.phases[state.phases.length - 1]!;
}

export function viewOf(state: LiveState): StateView {
  return {
    status: state.status,
    traffic: state.traffic,
    weights: state.weights,
    winner: state.winner,
    phase: currentPhase(state).phase,
  };
}

/** Traffic is a percentage; one bucket of 10,000 is 0.01 %, so anything in (0, 0.01) would enrol nobody. */
export function trafficProblem(traffic: number): string | undefined {
  if (!Number.isFinite(traffic) || traffic < 0 || traffic > 100) return 'must be a number from 0 to 100';
  if (traffic > 0 && traffic < 0.01) return 'must be 0 or at least 0.01 (one bucket in 10,000)';
  return undefined;
}

function sameWeights(a: Weights, b: Weights): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => kb[i] === k && a[k] === b[k]);
}

function allocationProblem(arms: readonly string[], weights: Weights): string | undefined {
  try {
    bucketRanges(arms.map((a) => weights[a] ?? Number.NaN));
    return undefined;
  } catch (err) {
    if (err instanceof AllocationError) return err.message;
    throw err;
  }
}

/** The state a file creates the first time it is loaded (version 1, phase 1). */
export function initialState(experiment: string, file: FileValues, now: number): LiveState {
  return {
    experiment,
    version: 1,
    status: file.status,
    statusSince: now,
    traffic: file.traffic,
    weights: file.weights,
    winner: file.status === 'concluded' ? file.winner : null,
    phases: [
      { phase: 1, startedAt: now, weights: file.weights, salt: file.salt, hashVersion: file.hashVersion },
    ],
    updatedAt: now,
    file,
  };
}

/**
 * The phases after a change: a new phase when the allocation changed while collecting, or when an ended
 * experiment starts again; a draft that starts collecting restarts its (empty) phase clock.
 */
function nextPhases(
  before: LiveState,
  status: LifecycleStatus,
  weights: Weights,
  allocationChanged: boolean,
  now: number,
): readonly PhaseRecord[] {
  const cur = currentPhase(before);
  const restart = status !== before.status && isCollecting(status) && hasEnded(before.status);
  const salt = before.file.salt;
  const hashVersion = before.file.hashVersion;
  // A change that also ends the phase (e.g. a file edit that concludes) keeps the phase being concluded.
  if ((allocationChanged && isCollecting(before.status) && isCollecting(status)) || restart) {
    return [...before.phases, { phase: cur.phase + 1, startedAt: now, weights, salt, hashVersion }];
  }
  if (before.status === 'draft') {
    // Nothing was collected yet: the phase takes the new allocation, and starts when collection does.
    const startedAt = isCollecting(status) ? now : cur.startedAt;
    return [...before.phases.slice(0, -1), { ...cur, startedAt, weights, salt, hashVersion }];
  }
  // An ended phase keeps the allocation it ran with (its report needs it).
  return before.phases;
}

/**
 * Applies an API change to `state`. Returns `state` itself when the change changes nothing, else the
 * next state (version + 1). Throws LifecycleError for a transition the lifecycle does not allow or a
 * value that is not valid; `arms` are the experiment's arm names in file order.
 */
export function applyPatch(
  state: LiveState,
  patch: StatePatch,
  arms: readonly string[],
  now: number,
): LiveState {
  const status = patch.status ?? state.status;
  if (status !== state.status && !TRANSITIONS[state.status].includes(status)) {
    const allowed = TRANSITIONS[state.status];
    throw new LifecycleError(
      'invalid_transition',
      `cannot change status from ${state.status} to ${status}; from ${state.status} it can become ${allowed.join(', ') || 'nothing'}`,
    );
  }
  if (patch.traffic !== undefined) {
    const problem = trafficProblem(patch.traffic);
    if (problem) throw new LifecycleError('invalid_value', `traffic: ${problem}`);
  }
  for (const [arm, weight] of Object.entries(patch.weights ?? {})) {
    if (!arms.includes(arm)) {
      throw new LifecycleError('unknown_arm', `weights: no arm "${arm}" (arms: ${arms.join(', ')})`);
    }
    if (!Number.isFinite(weight) || weight <= 0) {
      throw new LifecycleError('invalid_value', `weights.${arm}: must be a positive number`);
    }
  }
  if (patch.winner !== undefined && !arms.includes(patch.winner)) {
    throw new LifecycleError('unknown_arm', `winner: no arm "${patch.winner}" (arms: ${arms.join(', ')})`);
  }

  const traffic = patch.traffic ?? state.traffic;
  const weights: Record<string, number> = {};
  for (const arm of arms) weights[arm] = patch.weights?.[arm] ?? state.weights[arm] ?? Number.NaN;
  const weightsChanged = !sameWeights(weights, state.weights);
  if ((traffic !== state.traffic || weightsChanged) && !(status === 'draft' || isCollecting(status))) {
    throw new LifecycleError(
      'invalid_transition',
      `traffic and weights change only while draft, running or paused; the experiment ${status === state.status ? 'is' : 'would be'} ${status}`,
    );
  }
  if (weightsChanged) {
    const problem = allocationProblem(arms, weights);
    if (problem) throw new LifecycleError('invalid_value', `weights: ${problem}`);
  }
  if (patch.winner !== undefined && status !== 'concluded') {
    throw new LifecycleError('invalid_value', 'winner: only goes with status concluded');
  }
  const winner =
    status === 'concluded' ? (patch.winner ?? (state.status === 'concluded' ? state.winner : null)) : null;
  if (status === 'concluded' && winner === null) {
    throw new LifecycleError(
      'invalid_value',
      'winner: required to conclude (the arm that serves everyone from now on)',
    );
  }

  if (status === state.status && traffic === state.traffic && !weightsChanged && winner === state.winner) {
    return state;
  }
  const next = weightsChanged ? weights : state.weights;
  return {
    ...state,
    version: state.version + 1,
    status,
    statusSince: status !== state.status ? now : state.statusSince,
    traffic,
    weights: next,
    winner,
    phases: nextPhases(state, status, next, weightsChanged, now),
    updatedAt: now,
  };
}

/** The fields that differ between two states, in a fixed order. */
export function changedFields(before: StateView | null, after: StateView): string[] {
  if (before === null) return ['status', 'traffic', 'weights', 'winner', 'phase'];
  const out: string[] = [];
  if (before.status !== after.status) out.push('status');
  if (before.traffic !== after.traffic) out.push('traffic');
  if (!sameWeights(before.weights, after.weights)) out.push('weights');
  if (before.winner !== after.winner) out.push('winner');
  if (before.phase !== after.phase) out.push('phase');
  return out;
}

function sameFileValues(a: FileValues, b: FileValues): boolean {
  return (
    a.hash === b.hash &&
    a.file === b.file &&
    a.status === b.status &&
    a.traffic === b.traffic &&
    sameWeights(a.weights, b.weights) &&
    a.winner === b.winner &&
    a.salt === b.salt &&
    a.hashVersion === b.hashVersion
  );
}

/**
 * Merges an experiment file into the live state, field by field (a three-way merge against the file
 * values last applied): a field whose value in the file changed takes the file's new value; a field the
 * file did not change keeps its live value, so a live change wins until the file's own value for that
 * field changes. Salt and hash version always come from the file; changing them, or the weights, while
 * collecting starts a new phase. Returns `state` itself when the file is the one already applied.
 */
export function mergeFile(state: LiveState, file: FileValues, now: number): LiveState {
  const base = state.file;
  if (sameFileValues(base, file)) return state;
  const arms = Object.keys(file.weights);
  const status = file.status !== base.status ? file.status : state.status;
  const traffic = file.traffic !== base.traffic ? file.traffic : state.traffic;
  let weights: Record<string, number> = {};
  for (const arm of arms) {
    const f = file.weights[arm]!;
    const live = state.weights[arm];
    weights[arm] = base.weights[arm] !== f || live === undefined ? f : live;
  }
  // Live weights that no longer fit the file's arms (e.g. an arm was added): the file wins.
  if (allocationProblem(arms, weights) !== undefined) weights = { ...file.weights };
  let winner: string | null = null;
  if (status === 'concluded') {
    winner = file.winner !== base.winner || state.winner === null ? file.winner : state.winner;
    if (winner === null || !arms.includes(winner)) winner = file.winner;
  }
  const cur = currentPhase(state);
  const weightsChanged = !sameWeights(weights, state.weights);
  const allocationChanged = weightsChanged || file.salt !== cur.salt || file.hashVersion !== cur.hashVersion;
  const merged: LiveState = { ...state, file };
  return {
    ...merged,
    version: state.version + 1,
    status,
    statusSince: status !== state.status ? now : state.statusSince,
    traffic,
    weights: weightsChanged ? weights : state.weights,
    winner,
    phases: nextPhases(merged, status, weightsChanged ? weights : state.weights, allocationChanged, now),
    updatedAt: now,
  };
}

/** Where the live state differs from what the file says (the live change wins until the file changes). */
export function conflictsOf(state: LiveState, file: FileValues): Conflict[] {
  const out: Conflict[] = [];
  if (state.status !== file.status) out.push({ field: 'status', live: state.status, file: file.status });
  if (state.status === 'concluded' && file.status === 'concluded' && state.winner !== file.winner) {
    out.push({ field: 'winner', live: state.winner, file: file.winner });
  }
  if (state.traffic !== file.traffic) out.push({ field: 'traffic', live: state.traffic, file: file.traffic });
  for (const [arm, w] of Object.entries(file.weights)) {
    const live = state.weights[arm];
    if (live !== undefined && live !== w) out.push({ field: `weights.${arm}`, live, file: w });
  }
  return out;
}
