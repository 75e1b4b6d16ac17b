import { describe, expect, it } from 'vitest';
import { compileAllocation } from './allocation.js';
import { decide } from './decision.js';
import {
  allowedTransitions,
  applyPatch,
  changedFields,
  conflictsOf,
  currentPhase,
  initialState,
  LifecycleError,
  mergeFile,
  STATUSES,
  viewOf,
  type FileValues,
  type LifecycleStatus,
  type LiveState,
  type StatePatch,
} from './lifecycle.js';

const ARMS = ['control', 'treatment'];
const T0 = 1_700_000_000_000;

function file(overrides: Partial<FileValues> = {}): FileValues {
  return {
    hash: 'h1',
    file: 'experiments/exp.yaml',
    status: 'running',
    traffic: 10,
    weights: { control: 1, treatment: 1 },
    winner: null,
    salt: 'exp',
    hashVersion: 1,
    ...overrides,
  };
}

function state(status: LifecycleStatus = 'running', overrides: Partial<FileValues> = {}): LiveState {
  const s = initialState(
    'exp',
    file({ status, ...(status === 'concluded' ? { winner: 'treatment' } : {}), ...overrides }),
    T0,
  );
  return s;
}

function refusal(fn: () => unknown): LifecycleError {
  try {
    fn();
  } catch (err) {
    if (err instanceof LifecycleError) return err;
    throw err;
  }
  throw new Error('expected a LifecycleError');
}

describe('status transitions', () => {
  const allowed: Record<LifecycleStatus, LifecycleStatus[]> = {
    draft: ['running'],
    running: ['paused', 'concluded', 'rolled_back'],
    paused: ['running', 'concluded', 'rolled_back'],
    concluded: ['rolled_back', 'running'],
    rolled_back: ['concluded', 'running'],
    stopped: ['running', 'concluded', 'rolled_back'],
  };
  const pairs = STATUSES.flatMap((from) =>
    STATUSES.filter((to) => to !== from).map((to) => [from, to] as const),
  );

  it.each(pairs)('%s → %s follows the lifecycle table', (from, to) => {
    const patch: StatePatch = to === 'concluded' ? { status: to, winner: 'treatment' } : { status: to };
    const ok = allowed[from].includes(to);
    expect(allowedTransitions(from)).toEqual(allowed[from]);
    if (ok) {
      const next = applyPatch(state(from), patch, ARMS, T0 + 1000);
      expect(next).toMatchObject({ status: to, version: 2, statusSince: T0 + 1000, updatedAt: T0 + 1000 });
    } else {
      const err = refusal(() => applyPatch(state(from), patch, ARMS, T0 + 1000));
      expect(err.kind).toBe('invalid_transition');
      expect(err.message).toContain(`from ${from} to ${to}`);
    }
  });

  it('never makes draft or stopped a target', () => {
    for (const from of STATUSES) {
      expect(allowedTransitions(from)).not.toContain('draft');
      expect(allowedTransitions(from)).not.toContain('stopped');
    }
  });

  it('returns the same state, unversioned, for a change that changes nothing', () => {
    const s = state('running');
    expect(applyPatch(s, { status: 'running', traffic: 10, weights: { control: 1 } }, ARMS, T0 + 1)).toBe(s);
    const c = state('concluded');
    expect(applyPatch(c, { status: 'concluded' }, ARMS, T0 + 1)).toBe(c);
  });
});

describe('winner', () => {
  it('is required to conclude, and must be an arm', () => {
    expect(refusal(() => applyPatch(state(), { status: 'concluded' }, ARMS, T0))).toMatchObject({
      kind: 'invalid_value',
      message: expect.stringContaining('winner: required'),
    });
    expect(refusal(() => applyPatch(state(), { status: 'concluded', winner: 'nope' }, ARMS, T0)).kind).toBe(
      'unknown_arm',
    );
  });

  it('only goes with concluded, and is cleared when leaving it', () => {
    expect(refusal(() => applyPatch(state(), { winner: 'treatment' }, ARMS, T0)).kind).toBe('invalid_value');
    const concluded = applyPatch(state(), { status: 'concluded', winner: 'treatment' }, ARMS, T0 + 1);
    expect(concluded.winner).toBe('treatment');
    expect(applyPatch(concluded, { status: 'rolled_back' }, ARMS, T0 + 2).winner).toBeNull();
  });

  it('may change while concluded, without a status change', () => {
    const concluded = state('concluded');
    const next = applyPatch(concluded, { winner: 'control' }, ARMS, T0 + 5);
    expect(next).toMatchObject({ status: 'concluded', winner: 'control', statusSince: T0, version: 2 });
  });
});

describe('values', () => {
  it.each([
    [{ traffic: -1 }, 'invalid_value', 'traffic: must be a number from 0 to 100'],
    [{ traffic: 100.5 }, 'invalid_value', 'traffic'],
    [{ traffic: Number.NaN }, 'invalid_value', 'traffic'],
    [{ traffic: 0.001 }, 'invalid_value', 'at least 0.01'],
    [{ weights: { nope: 1 } }, 'unknown_arm', 'weights: no arm "nope"'],
    [{ weights: { treatment: 0 } }, 'invalid_value', 'weights.treatment: must be a positive number'],
    [{ weights: { treatment: -2 } }, 'invalid_value', 'weights.treatment'],
    [{ weights: { treatment: 0.00001 } }, 'invalid_value', 'gets no bucket'],
  ] as const)('refuses %j', (patch, kind, message) => {
    const err = refusal(() => applyPatch(state(), patch as StatePatch, ARMS, T0));
    expect(err.kind).toBe(kind);
    expect(err.message).toContain(message);
  });

  it('accepts traffic 0 and 100 and weights for some arms only', () => {
    expect(applyPatch(state(), { traffic: 0 }, ARMS, T0).traffic).toBe(0);
    expect(applyPatch(state(), { traffic: 100 }, ARMS, T0).traffic).toBe(100);
    expect(applyPatch(state(), { weights: { treatment: 3 } }, ARMS, T0).weights).toEqual({
      control: 1,
      treatment: 3,
    });
  });

  it.each(['concluded', 'rolled_back', 'stopped'] as const)(
    'refuses traffic and weight changes while %s',
    (status) => {
      expect(refusal(() => applyPatch(state(status), { traffic: 50 }, ARMS, T0)).kind).toBe(
        'invalid_transition',
      );
      expect(refusal(() => applyPatch(state(status), { weights: { control: 2 } }, ARMS, T0)).kind).toBe(
        'invalid_transition',
      );
    },
  );

  it('refuses a conclusion that also changes the allocation', () => {
    expect(
      refusal(() => applyPatch(state(), { status: 'concluded', winner: 'control', traffic: 50 }, ARMS, T0))
        .kind,
    ).toBe('invalid_transition');
  });
});

describe('phases', () => {
  it('keeps the phase when traffic ramps (enrolled users keep their arm)', () => {
    const next = applyPatch(state('running'), { traffic: 50 }, ARMS, T0 + 1);
    expect(next.phases).toEqual(state('running').phases);
    expect(currentPhase(next).phase).toBe(1);
  });

  it.each(['running', 'paused'] as const)('starts a new phase when weights change while %s', (status) => {
    const next = applyPatch(state(status), { weights: { treatment: 3 } }, ARMS, T0 + 60_000);
    expect(next.phases).toHaveLength(2);
    expect(currentPhase(next)).toEqual({
      phase: 2,
      startedAt: T0 + 60_000,
      weights: { control: 1, treatment: 3 },
      salt: 'exp',
      hashVersion: 1,
    });
    expect(next.phases[0]!.weights).toEqual({ control: 1, treatment: 1 });
  });

  it('updates the unstarted phase of a draft in place, and starts its clock when it starts running', () => {
    const draft = applyPatch(state('draft'), { weights: { treatment: 2 } }, ARMS, T0 + 10);
    expect(draft.phases).toEqual([
      { phase: 1, startedAt: T0, weights: { control: 1, treatment: 2 }, salt: 'exp', hashVersion: 1 },
    ]);
    const running = applyPatch(draft, { status: 'running' }, ARMS, T0 + 20);
    expect(running.phases).toEqual([{ ...draft.phases[0]!, startedAt: T0 + 20 }]);
  });

  it.each(['concluded', 'rolled_back', 'stopped'] as const)(
    'starts a new phase when %s restarts',
    (status) => {
      const next = applyPatch(state(status), { status: 'running' }, ARMS, T0 + 99);
      expect(next.phases.map((p) => [p.phase, p.startedAt])).toEqual([
        [1, T0],
        [2, T0 + 99],
      ]);
    },
  );

  it('does not start a phase when pausing, resuming, concluding or rolling back', () => {
    let s = state('running');
    for (const patch of [
      { status: 'paused' },
      { status: 'running' },
      { status: 'concluded', winner: 'control' },
      { status: 'rolled_back' },
    ] as StatePatch[]) {
      s = applyPatch(s, patch, ARMS, T0 + 1);
      expect(s.phases).toHaveLength(1);
    }
  });
});

describe('history view', () => {
  it('names the fields that changed', () => {
    const s = state('running');
    const next = applyPatch(s, { weights: { treatment: 2 }, traffic: 50 }, ARMS, T0 + 1);
    expect(changedFields(viewOf(s), viewOf(next))).toEqual(['traffic', 'weights', 'phase']);
    expect(changedFields(null, viewOf(s))).toEqual(['status', 'traffic', 'weights', 'winner', 'phase']);
  });
});

describe('file merge (the live change wins until the file changes that field)', () => {
  const ramped = () => applyPatch(state('running'), { traffic: 50 }, ARMS, T0 + 1);

  it('changes nothing when the file is the one already applied', () => {
    const s = ramped();
    expect(mergeFile(s, file(), T0 + 2)).toBe(s);
  });

  it('keeps a live ramp when the file changes something else, and reports the conflict', () => {
    const next = mergeFile(ramped(), file({ hash: 'h2' }), T0 + 2);
    expect(next).toMatchObject({ version: 3, traffic: 50, file: { hash: 'h2' } });
    expect(conflictsOf(next, file({ hash: 'h2' }))).toEqual([{ field: 'traffic', live: 50, file: 10 }]);
  });

  it("takes the file's value for a field the file changed", () => {
    const next = mergeFile(ramped(), file({ hash: 'h2', traffic: 30 }), T0 + 2);
    expect(next.traffic).toBe(30);
    expect(conflictsOf(next, file({ hash: 'h2', traffic: 30 }))).toEqual([]);
  });

  it('merges weights arm by arm and starts a phase when the allocation changes while running', () => {
    const live = applyPatch(state('running'), { weights: { treatment: 3 } }, ARMS, T0 + 1); // phase 2
    const edited = file({ hash: 'h2', weights: { control: 2, treatment: 1 } });
    const next = mergeFile(live, edited, T0 + 2);
    expect(next.weights).toEqual({ control: 2, treatment: 3 });
    expect(currentPhase(next)).toMatchObject({
      phase: 3,
      startedAt: T0 + 2,
      weights: { control: 2, treatment: 3 },
    });
    expect(conflictsOf(next, edited)).toEqual([{ field: 'weights.treatment', live: 3, file: 1 }]);
  });

  it('starts a phase when the salt or hash version changes while running, not while draft', () => {
    const running = mergeFile(state('running'), file({ hash: 'h2', salt: 'new' }), T0 + 5);
    expect(currentPhase(running)).toMatchObject({ phase: 2, salt: 'new', startedAt: T0 + 5 });
    const draft = mergeFile(state('draft'), file({ hash: 'h2', status: 'draft', salt: 'new' }), T0 + 5);
    expect(draft.phases).toEqual([
      { phase: 1, startedAt: T0, weights: { control: 1, treatment: 1 }, salt: 'new', hashVersion: 1 },
    ]);
  });

  it('applies a status the file changed, with its winner, keeping the phase being concluded', () => {
    const edited = file({
      hash: 'h2',
      status: 'concluded',
      winner: 'treatment',
      weights: { control: 1, treatment: 2 },
    });
    const next = mergeFile(ramped(), edited, T0 + 3);
    expect(next).toMatchObject({ status: 'concluded', winner: 'treatment', statusSince: T0 + 3 });
    expect(next.phases).toHaveLength(1);
  });

  it('keeps a live conclusion when the file changes only other fields', () => {
    const concluded = applyPatch(
      state('running'),
      { status: 'concluded', winner: 'treatment' },
      ARMS,
      T0 + 1,
    );
    const next = mergeFile(concluded, file({ hash: 'h2', traffic: 20 }), T0 + 2);
    expect(next).toMatchObject({ status: 'concluded', winner: 'treatment', traffic: 20 });
    expect(conflictsOf(next, file({ hash: 'h2', traffic: 20 }))).toEqual([
      { field: 'status', live: 'concluded', file: 'running' },
    ]);
  });

  it("falls back to the file's weights when live weights no longer fit its arms", () => {
    const live = applyPatch(state('running'), { weights: { treatment: 9999 } }, ARMS, T0 + 1);
    // Live 1 : 9999 plus a new arm at 0.01 would leave the new arm no bucket: the file wins.
    const edited = file({ hash: 'h2', weights: { control: 1, treatment: 1, extra: 0.01 } });
    expect(mergeFile(live, edited, T0 + 2).weights).toEqual({ control: 1, treatment: 1, extra: 0.01 });
    // A new arm that fits next to the live weights keeps them.
    const roomy = file({ hash: 'h3', weights: { control: 1, treatment: 1, extra: 5000 } });
    expect(mergeFile(live, roomy, T0 + 2).weights).toEqual({ control: 1, treatment: 9999, extra: 5000 });
  });
});

describe('decide() in the end states', () => {
  const alloc = compileAllocation({
    salt: 'exp',
    hashVersion: 1,
    traffic: 100,
    arms: [
      { name: 'control', weight: 1 },
      { name: 'treatment', weight: 1 },
    ],
    controlIndex: 0,
  });

  it('serves the winner to everyone when concluded, and control when rolled back, without exposures', () => {
    for (let i = 0; i < 200; i++) {
      expect(decide(alloc, 'concluded', `u${i}`, undefined, 1)).toMatchObject({
        armIndex: 1,
        exposure: false,
        reason: 'concluded',
      });
      expect(decide(alloc, 'rolled_back', `u${i}`, undefined, 1)).toMatchObject({
        armIndex: 0,
        exposure: false,
        reason: 'rolled_back',
      });
    }
    expect(decide(alloc, 'concluded', undefined, undefined, 1).armIndex).toBe(1);
  });

  it('still honours a forced arm (QA), without exposure', () => {
    expect(decide(alloc, 'concluded', 'u', 0, 1)).toMatchObject({
      armIndex: 0,
      reason: 'forced',
      exposure: false,
    });
  });
});
