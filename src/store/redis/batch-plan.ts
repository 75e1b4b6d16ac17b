// Pure planning of one batch: journaled events → one apply-script call per experiment phase, and the
// calls' replies → which events are acknowledged, with which answer. The store only sends and waits.
import type { JournalItem } from '../journal/journal.js';
import type { OutcomeStatus } from '../event-store.js';
import type { KeyLayout } from './key-layout.js';
import type { QueuedEvent, QueuedOutcome } from './queued-event.js';

export type RedisArg = string | number;

export interface PlanContext {
  readonly keys: KeyLayout;
  /** The journal slot's writer id (high-water marks are kept per writer). */
  readonly writer: string;
  readonly dedupWindowSeconds: number;
  readonly graceMs: number;
  /** Approximate cap of each experiment's log stream; 0 turns it off. */
  readonly streamMaxLen: number;
  /** Written as the experiment's epoch when it has none (first write, or its keys were lost). */
  readonly epochCandidate: string;
  readonly maxHeldPerUser: number;
  /** The gateway's clock, ms: the day of the daily values and the end of held outcomes' grace. */
  readonly now: number;
  /**
   * Keys to declare on every call of a phase besides those its operations name: values of metrics whose
   * held outcomes an exposure may apply, learned from the script's ABGATE_KEYS replies.
   */
  readonly learnedKeys?: (experiment: string, phase: number) => Iterable<string>;
}

export interface PlannedCall {
  readonly experiment: string;
  readonly phase: number;
  /**
   * KEYS: every key the call may touch (see apply.lua), the phase's stats hash first. On a Redis Cluster
   * whose slot is being migrated, Redis then answers ASK or TRYAGAIN unless one node has them all.
   */
  readonly keys: string[];
  readonly args: RedisArg[];
  /** Per operation, in the order of the script's results, the index of its event in the batch. */
  readonly opEvents: number[];
}

export interface BatchPlan {
  readonly calls: readonly PlannedCall[];
  /** Per event, the calls holding its operations. */
  readonly eventCalls: readonly (readonly number[])[];
}

/**
 * One call per (experiment, phase) with every operation of the batch on it, in event order. Why not
 * several calls per experiment: if call c failed and a later one succeeded, later events would be applied
 * before earlier ones, and re-sending cannot repair that (a first exposure would lose to a later one; an
 * outcome applied before its exposure would be held). With one call per phase, a failed call (which writes
 * nothing) holds back every later operation of its phase, and different phases are independent.
 */
export function planBatch(items: readonly JournalItem<QueuedEvent>[], ctx: PlanContext): BatchPlan {
  const calls: PlannedCall[] = [];
  const declared: Set<string>[] = [];
  const byPhase = new Map<string, number>();
  const callFor = (experiment: string, phase: number): PlannedCall & { index: number } => {
    const id = `${experiment}\u0000${phase}`;
    let index = byPhase.get(id);
    if (index === undefined) {
      index = calls.length;
      byPhase.set(id, index);
      const keys = new Set(phaseKeys(ctx.keys, experiment, phase));
      for (const k of ctx.learnedKeys?.(experiment, phase) ?? []) keys.add(k);
      declared.push(keys);
      calls.push({
        experiment,
        phase,
        keys: [],
        args: [
          ctx.writer,
          ctx.dedupWindowSeconds,
          ctx.graceMs,
          ctx.streamMaxLen,
          ctx.epochCandidate,
          ctx.keys.experimentBase(experiment),
          ctx.keys.phaseBase(experiment, phase),
          ctx.maxHeldPerUser,
          ctx.now,
        ],
        opEvents: [],
      });
    }
    return Object.assign(calls[index]!, { index });
  };
  const eventCalls = items.map((item, index) => {
    const e = item.event;
    const g = item.generation;
    const s = item.seq;
    const used: number[] = [];
    const op = (experiment: string, phase: number, args: RedisArg[], keys: readonly string[] = []) => {
      const call = callFor(experiment, phase);
      for (const k of keys) declared[call.index]!.add(k);
      call.args.push(...args);
      call.opEvents.push(index);
      if (!used.includes(call.index)) used.push(call.index);
    };
    if (e.k === 'x') op(e.e, e.p, ['x', g, s, e.u, e.a, e.t, e.f ? 1 : 0]);
    else if (e.k === 'g') {
      const values = GUARDRAIL_METRICS.map((m) => ctx.keys.values(e.e, e.p, m));
      op(e.e, e.p, ['g', g, s, e.u, e.err, e.lat, e.n, e.t], values);
    } else {
      for (const t of e.to) {
        const ratios = (t.r ?? []).flatMap((r) => [r.n, r.role, r.om, r.ot, r.oc ?? '']);
        const keys = [e.m, ...(t.r ?? []).map((r) => r.om)].map((m) => ctx.keys.values(t.e, t.p, m));
        if (e.id !== undefined) keys.push(ctx.keys.seen(t.e, e.id));
        op(
          t.e,
          t.p,
          ['o', g, s, e.u, e.m, t.ty, e.v, 1, t.cap ?? '', e.id ?? '', e.t, t.r?.length ?? 0, ...ratios],
          keys,
        );
      }
    }
    return used;
  });
  calls.forEach((call, c) => call.keys.push(...declared[c]!));
  return { calls, eventCalls };
}

/** Metrics of a guardrail observation (see apply.lua, kind 'g'). */
const GUARDRAIL_METRICS = ['abgate_errors', 'abgate_latency_ms'] as const;

/** Keys every apply call of a phase may touch, whatever its operations; the stats hash first (KEYS[1]). */
export function phaseKeys(keys: KeyLayout, experiment: string, phase: number): string[] {
  const v1 = keys.v1(experiment);
  return [
    keys.stats(experiment, phase),
    keys.meta(experiment),
    keys.hw(experiment, phase),
    keys.daily(experiment, phase),
    keys.arm(experiment, phase),
    keys.multiArm(experiment, phase),
    keys.held(experiment, phase),
    keys.heldDue(experiment, phase),
    keys.log(experiment),
    // Probed only when the experiment has no epoch yet (abgate v1 data awaiting migration).
    v1.arm,
    v1.stats,
  ];
}

/** Keys of a sweep call, in the order sweep.lua takes them. */
export function sweepKeys(keys: KeyLayout, experiment: string, phase: number): string[] {
  return [
    keys.heldDue(experiment, phase),
    keys.held(experiment, phase),
    keys.stats(experiment, phase),
    keys.daily(experiment, phase),
  ];
}

/** One call's reply: the script's result, or the error it failed with. */
export type CallReply = { readonly error: Error } | { readonly result: unknown };

export interface BatchResult {
  /** Leading events whose calls all succeeded: acknowledge these. */
  readonly done: number;
  /** The answer of each outcome event among the first `done` (by index in the batch). */
  readonly outcomes: ReadonlyMap<number, Exclude<OutcomeStatus, never>>;
  /** Epoch each successful call reported, by experiment. */
  readonly epochs: ReadonlyMap<string, string>;
  /** Why event `done` is held back (when done < events). */
  readonly failure: Error | undefined;
}

function letterOf(result: unknown): string {
  return Buffer.isBuffer(result) ? result.toString() : String(result);
}

/** What one outcome's results across its targets say. A skipped target ('s': a replay) is unknown. */
export function outcomeStatusOf(letters: readonly string[]): OutcomeStatus {
  if (letters.includes('a')) return 'accepted';
  if (letters.includes('s')) return 'queued';
  if (letters.includes('d')) return 'duplicate';
  if (letters.includes('h')) return 'held';
  return 'unattributed';
}

/** Turns the replies of `plan`'s calls (same order) into acknowledgements and answers. */
export function interpretReplies(
  plan: BatchPlan,
  events: readonly QueuedEvent[],
  replies: readonly CallReply[],
): BatchResult {
  const errors: (Error | undefined)[] = [];
  const letters: string[][] = events.map(() => []);
  const epochs = new Map<string, string>();
  plan.calls.forEach((call, c) => {
    const reply = replies[c];
    if (!reply) {
      errors[c] = new Error('missing reply');
      return;
    }
    if ('error' in reply) {
      errors[c] = reply.error;
      return;
    }
    const r = reply.result;
    if (!Array.isArray(r) || r.length !== call.opEvents.length + 1) {
      errors[c] = new Error(`malformed apply reply for ${call.experiment} phase ${call.phase}`);
      return;
    }
    epochs.set(call.experiment, letterOf(r[0]));
    call.opEvents.forEach((event, k) => letters[event]!.push(letterOf(r[k + 1])));
  });
  let done = 0;
  while (done < events.length && plan.eventCalls[done]!.every((c) => errors[c] === undefined)) done++;
  const blocking = done < events.length ? plan.eventCalls[done]!.find((c) => errors[c]) : undefined;
  const outcomes = new Map<number, OutcomeStatus>();
  for (let i = 0; i < done; i++) {
    const e = events[i]!;
    if (e.k === 'o') outcomes.set(i, outcomeStatusOf(letters[i]!));
  }
  return { done, outcomes, epochs, failure: blocking === undefined ? undefined : errors[blocking] };
}

/** The outcome events of a batch, for callers that need their records. */
export function isOutcome(e: QueuedEvent): e is QueuedOutcome {
  return e.k === 'o';
}
