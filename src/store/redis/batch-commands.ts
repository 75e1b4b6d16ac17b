// Turns queued events into EVALSHA calls (one call per run of operations on one experiment) and back.
import type { OutcomeStatus } from '../event-store.js';
import type { ExperimentKeys, KeyLayout } from './key-layout.js';
import { applyScript, unattributedScript } from './lua-scripts.js';
import { deliveryMarkerIdOf, type QueuedEvent, type QueuedOutcome } from './queued-event.js';
import type { RedisArg } from './redis-client.js';

export type TargetStatus = Exclude<OutcomeStatus, 'queued'>;

export interface CommandContext {
  readonly keys: KeyLayout;
  /** TTL of event-id markers (the user-facing dedup window), seconds. */
  readonly dedupWindowSeconds: number;
  /** TTL of delivery markers (what makes a replay idempotent), seconds. @default DEFAULT_REPLAY_WINDOW_SECONDS */
  readonly replayWindowSeconds?: number;
  /** Approximate cap of each experiment's log stream; 0 turns it off. */
  readonly streamMaxLen: number;
}

export interface PlannedBatch {
  readonly commands: RedisArg[][];
  /** Per command, the event index of each of its operations, in the order of the script's results. */
  readonly opEvents: readonly (readonly number[])[];
  /** Per event, the commands holding its operations (none for an outcome without targets). */
  readonly eventCommands: readonly (readonly number[])[];
}

/** Lifetime of delivery markers when the context names none: 6 h (see RedisEventStoreOptions). */
export const DEFAULT_REPLAY_WINDOW_SECONDS = 21_600;

class ApplyCall {
  readonly keys: string[];
  private readonly keyIndex = new Map<string, number>();
  readonly argv: RedisArg[];
  readonly opEvents: number[] = [];

  constructor(k: ExperimentKeys, ctx: CommandContext) {
    this.keys = [k.armOf, k.multiArm, k.stats, k.log];
    this.argv = [
      ctx.dedupWindowSeconds,
      ctx.replayWindowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS,
      ctx.streamMaxLen,
    ];
  }

  /** 1-based KEYS index of `key`, adding it if new. */
  key(key: string): number {
    let i = this.keyIndex.get(key);
    if (i === undefined) {
      this.keys.push(key);
      this.keyIndex.set(key, (i = this.keys.length));
    }
    return i;
  }

  command(): RedisArg[] {
    return ['evalsha', applyScript.sha, this.keys.length, ...this.keys, ...this.argv];
  }
}

/**
 * Plans the commands of a batch: ONE script call per experiment, holding every operation of the batch on
 * that experiment in event order (an exposure is one operation, an outcome one per target).
 *
 * Why one call per experiment, rather than runs of operations pipelined in several calls: when call c
 * failed (BUSY, OOM, a bad value…) and a later call of the same pipeline succeeded, later events would be
 * applied before earlier ones, and an idempotent re-send cannot repair that: exposure A (user u, arm a)
 * fails, exposure B (u, arm b) succeeds, so B wins the first exposure and A's re-send only records a
 * multiple-arm sighting; an outcome applied before the exposure it follows stays unattributed. With one
 * call per experiment, a failed call (which writes nothing: the script validates before writing) holds
 * back every later operation of its experiment, and the state of different experiments is independent
 * (arms, markers, values and stats are all per experiment), so the calls that did succeed are applied in
 * order and their re-send is a no-op replay.
 */
export function planBatch(events: readonly QueuedEvent[], ctx: CommandContext): PlannedBatch {
  const calls: ApplyCall[] = [];
  const byExperiment = new Map<string, number>();
  const eventCommands: number[][] = [];
  const callFor = (experiment: string): number => {
    let c = byExperiment.get(experiment);
    if (c === undefined) {
      c = calls.length;
      calls.push(new ApplyCall(ctx.keys.experiment(experiment), ctx));
      byExperiment.set(experiment, c);
    }
    return c;
  };
  events.forEach((e, index) => {
    const used: number[] = [];
    if (e.kind === 'exposure') {
      const c = callFor(e.experiment);
      calls[c]!.argv.push('x', e.userId, e.arm, e.timestamp);
      calls[c]!.opEvents.push(index);
      used.push(c);
    } else {
      for (const t of e.targets) {
        const c = callFor(t.experiment);
        const call = calls[c]!;
        const k = ctx.keys.experiment(t.experiment);
        call.argv.push(
          'o',
          call.key(k.seen(deliveryMarkerIdOf(e))),
          e.eventId === undefined ? 0 : call.key(k.seen(e.eventId)),
          call.key(k.values(e.metric)),
          e.userId,
          e.metric,
          e.value,
          t.metricType,
          e.deliveryId,
          e.timestamp,
          e.eventId ?? '',
        );
        call.opEvents.push(index);
        if (!used.includes(c)) used.push(c);
      }
    }
    eventCommands.push(used);
  });
  return { commands: calls.map((c) => c.command()), opEvents: calls.map((c) => c.opEvents), eventCommands };
}

/** Counts an unattributed outcome once per delivery. */
export function unattributedCommand(o: QueuedOutcome, ctx: CommandContext): RedisArg[] {
  const k = ctx.keys.unattributed;
  return [
    'evalsha',
    unattributedScript.sha,
    2,
    k.counts,
    k.seen(o.deliveryId),
    o.metric,
    ctx.replayWindowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS,
  ];
}

/** Reads an outcome operation's result. */
export function targetStatusOf(result: unknown): TargetStatus {
  const letter = Buffer.isBuffer(result) ? result.toString() : result;
  if (letter === 'a') return 'accepted';
  if (letter === 'd') return 'duplicate';
  if (letter === 'u') return 'unattributed';
  throw new Error(`unexpected result of an outcome operation: ${String(result)}`);
}
