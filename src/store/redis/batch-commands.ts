// Turns queued events into EVALSHA calls (one call per run of operations on one experiment) and back.
import type { OutcomeStatus } from '../event-store.js';
import type { ExperimentKeys, KeyLayout } from './key-layout.js';
import { applyScript, unattributedScript } from './lua-scripts.js';
import { dedupIdOf, type QueuedEvent, type QueuedOutcome } from './queued-event.js';
import type { RedisArg } from './redis-client.js';

export type TargetStatus = Exclude<OutcomeStatus, 'queued'>;

export interface CommandContext {
  readonly keys: KeyLayout;
  /** TTL of dedup markers, seconds. */
  readonly dedupWindowSeconds: number;
  /** Approximate cap of each experiment's log stream; 0 turns it off. */
  readonly streamMaxLen: number;
}

export interface PlannedBatch {
  readonly commands: RedisArg[][];
  /** Per command, the event index of each of its operations, in the order of the script's results. */
  readonly opEvents: readonly (readonly number[])[];
  /** Per event, the last command holding one of its operations (or the previous event's; -1 before any). */
  readonly lastCommand: readonly number[];
}

/** Operations per script call. @default 100 */
export const DEFAULT_OPS_PER_CALL = 100;

class ApplyCall {
  readonly keys: string[];
  private readonly keyIndex = new Map<string, number>();
  readonly argv: RedisArg[];
  readonly opEvents: number[] = [];

  constructor(
    readonly experiment: string,
    k: ExperimentKeys,
    ctx: CommandContext,
  ) {
    this.keys = [k.armOf, k.multiArm, k.stats, k.log];
    this.argv = [ctx.dedupWindowSeconds, ctx.streamMaxLen];
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
 * Plans the commands of a batch, keeping event order: an exposure is one operation in its experiment,
 * an outcome one per target. Runs of operations on the same experiment share a call (at most `opsPerCall`).
 */
export function planBatch(
  events: readonly QueuedEvent[],
  ctx: CommandContext,
  opsPerCall = DEFAULT_OPS_PER_CALL,
): PlannedBatch {
  const calls: ApplyCall[] = [];
  const lastCommand: number[] = [];
  const callFor = (experiment: string): ApplyCall => {
    const open = calls[calls.length - 1];
    if (open && open.experiment === experiment && open.opEvents.length < opsPerCall) return open;
    const call = new ApplyCall(experiment, ctx.keys.experiment(experiment), ctx);
    calls.push(call);
    return call;
  };
  events.forEach((e, index) => {
    if (e.kind === 'exposure') {
      const call = callFor(e.experiment);
      call.argv.push('x', e.userId, e.arm, e.timestamp);
      call.opEvents.push(index);
    } else {
      const dedupId = dedupIdOf(e);
      for (const t of e.targets) {
        const call = callFor(t.experiment);
        const k = ctx.keys.experiment(t.experiment);
        call.argv.push(
          'o',
          call.key(k.seen(dedupId)),
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
      }
    }
    lastCommand.push(
      e.kind === 'outcome' && e.targets.length === 0 ? (lastCommand[index - 1] ?? -1) : calls.length - 1,
    );
  });
  return { commands: calls.map((c) => c.command()), opEvents: calls.map((c) => c.opEvents), lastCommand };
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
    ctx.dedupWindowSeconds,
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
