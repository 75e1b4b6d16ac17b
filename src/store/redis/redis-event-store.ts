// The durable EventStore: one ordered queue (memory, then journal) flushed to Redis in idempotent batches.
//
// Every write is idempotent (first exposure wins; outcomes carry a delivery id and a dedup id), so a batch
// replayed after a timeout, a dropped connection or a restart counts each event exactly once.
import type {
  AggregateQuery,
  EventStore,
  ExperimentAggregates,
  Exposure,
  OutcomeRecord,
  OutcomeStatus,
  StoreStatus,
} from '../event-store.js';
import { combineTargetStatuses } from '../outcome-status.js';
import { EventBacklog, type BacklogItem } from '../journal/event-backlog.js';
import { toError } from '../journal/to-error.js';
import { aggregateFields, parseAggregates } from './aggregates-reader.js';
import {
  planBatch,
  targetStatusOf,
  unattributedCommand,
  type CommandContext,
  type TargetStatus,
} from './batch-commands.js';
import { KeyLayout } from './key-layout.js';
import { allScripts } from './lua-scripts.js';
import { OutcomeWaiters } from './outcome-waiters.js';
import { ProgressSignal } from './progress-signal.js';
import { queuedEventCodec, type QueuedEvent, type QueuedOutcome } from './queued-event.js';
import { createRedisClient } from './redis-client.js';
import { RedisConnection } from './redis-connection.js';
import {
  resolveRedisEventStoreOptions,
  type RedisEventStoreOptions,
  type ResolvedRedisEventStoreOptions,
} from './redis-event-store-options.js';
import { isEventFault, isNoScript } from './reply-errors.js';

export type { RedisEventStoreOptions } from './redis-event-store-options.js';

/** Delay before trying again after a failed batch (the connection's 'ready' also wakes the flusher). */
const RETRY_DELAY_MS = 200;
/** Longest delay between retries while the server keeps failing (MISCONF, NOPERM, BUSY…): doubled per failure. */
const MAX_RETRY_DELAY_MS = 5000;

type Item = BacklogItem<QueuedEvent>;

export class RedisEventStore implements EventStore {
  private readonly o: ResolvedRedisEventStoreOptions;
  private readonly keys: KeyLayout;
  private readonly ctx: CommandContext;
  private readonly backlog: EventBacklog<QueuedEvent>;
  private readonly conn: RedisConnection;
  private readonly waiters = new OutcomeWaiters();
  private readonly progress = new ProgressSignal();
  private flushScheduled = false;
  private flushing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /**
   * Events still to send one per batch, after a batch was refused for the data of one of its events
   * (see isEventFault): so the event at fault is named, retried alone, and given up after maxAttempts.
   */
  private isolateLeft = 0;
  /** Failed batches in a row, for the retry backoff. */
  private failuresInRow = 0;
  private closing: Promise<void> | undefined;
  private errors = 0;
  private failedEvents = 0;

  constructor(options: RedisEventStoreOptions = {}) {
    this.o = resolveRedisEventStoreOptions(options);
    this.keys = new KeyLayout(this.o.keyPrefix);
    this.ctx = {
      keys: this.keys,
      dedupWindowSeconds: this.o.dedupWindowSeconds,
      replayWindowSeconds: this.o.replayWindowSeconds,
      streamMaxLen: this.o.streamMaxLen,
    };
    // The backlog claims journals left by previous processes first: they replay before anything new.
    this.backlog = new EventBacklog<QueuedEvent>({
      dir: this.o.journalDir,
      instanceId: this.o.instanceId,
      memoryLimit: this.o.queueLimit,
      codec: queuedEventCodec,
      now: this.o.now,
      onError: (err) => this.report(err),
    });
    const client =
      this.o.client ??
      createRedisClient({ url: this.o.url, reconnectMaxDelayMs: this.o.reconnectMaxDelayMs });
    this.conn = new RedisConnection({
      client,
      ownsClient: this.o.client === undefined,
      scripts: allScripts,
      commandTimeoutMs: this.o.commandTimeoutMs,
      healthCheckIntervalMs: this.o.healthCheckIntervalMs,
      onReady: () => {
        this.progress.notify();
        this.kick();
      },
      onDown: () => this.progress.notify(),
      onError: (err) => this.report(err),
    });
    if (!this.backlog.isEmpty) this.kick();
  }

  recordExposure(exposure: Exposure): void {
    if (exposure.forced === true) return; // TODO(lead): count a forced sighting in another arm as a multiple-arm user.
    if (this.stopped) {
      this.failedEvents += 1;
      this.report(new Error('RedisEventStore is closed: an exposure was dropped'));
      return;
    }
    try {
      this.backlog.push({
        kind: 'exposure',
        experiment: exposure.experiment,
        arm: exposure.arm,
        userId: exposure.userId,
        timestamp: exposure.timestamp,
      });
      this.kick();
    } catch (err) {
      this.failedEvents += 1;
      this.report(err);
    }
  }

  async recordOutcomes(records: readonly OutcomeRecord[]): Promise<OutcomeStatus[]> {
    if (this.stopped) throw new Error('RedisEventStore is closed');
    const events: QueuedOutcome[] = records.map((r) => ({
      kind: 'outcome',
      deliveryId: this.o.idGenerator(),
      userId: r.userId,
      metric: r.metric,
      value: r.value,
      ...(r.eventId === undefined ? {} : { eventId: r.eventId }),
      timestamp: r.timestamp,
      targets: r.targets.map((t) => ({ experiment: t.experiment, metricType: t.metricType })),
    }));
    // Answer 'queued' at once when the write cannot be applied promptly: Redis is away, events wait in the
    // journal (everything new goes behind them), or more than a batch is queued ahead of these records.
    const behind = this.backlog.journalSegments > 0 || this.backlog.memoryDepth > this.o.batchSize;
    for (const e of events) this.backlog.push(e);
    this.kick();
    if (this.conn.down || behind) return events.map(() => 'queued' as const);
    return this.waiters.wait(
      events.map((e) => e.deliveryId),
      this.o.outcomeWaitMs,
    );
  }

  async readAggregates(query: AggregateQuery): Promise<ExperimentAggregates> {
    await this.whenUsable();
    const reply = await this.conn.call(
      'HMGET',
      this.keys.experiment(query.experiment).stats,
      ...aggregateFields(query),
    );
    if (!Array.isArray(reply)) throw new Error('unexpected HMGET reply');
    return parseAggregates(query, reply);
  }

  async readUnattributed(): Promise<Record<string, number>> {
    await this.whenUsable();
    const reply = await this.conn.call('HGETALL', this.keys.unattributed.counts);
    if (!Array.isArray(reply)) throw new Error('unexpected HGETALL reply');
    const counts: Record<string, number> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) counts[String(reply[i])] = Number(reply[i + 1]);
    return counts;
  }

  status(): StoreStatus {
    return {
      backend: 'redis',
      connected: this.conn.ready,
      durable: true,
      queueDepth: this.backlog.memoryDepth,
      journalBytes: this.backlog.journalBytes,
      replayedEvents: this.backlog.replayedEvents,
      failedEvents: this.failedEvents + this.backlog.corruptLines,
      errors: this.errors,
    };
  }

  /**
   * Resolves true once every event enqueued before the call, and any journal claimed from a previous
   * process, is written to Redis; false if that takes longer than `timeoutMs` or the store closes first.
   */
  async flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const target = this.backlog.pushedCount;
    const written = () => this.backlog.ackedOwnCount >= target && !this.backlog.hasClaimedJournal;
    this.kick();
    await this.progress.until(() => this.stopped || written(), timeoutMs);
    return written();
  }

  /** Writes what it can within closeTimeoutMs, journals the rest, then releases the connection. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.kick();
    await this.progress.until(() => this.backlog.isEmpty || this.conn.down, this.o.closeTimeoutMs);
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.failedEvents += this.backlog.persist();
    this.waiters.settleAll('queued');
    await this.conn.close();
    this.progress.notify();
  }

  private report(err: unknown): void {
    this.errors += 1;
    try {
      this.o.onError(toError(err));
    } catch {
      // a throwing hook must not break the store
    }
  }

  /** Waits briefly for a first connection; throws while Redis is known to be unreachable. */
  private async whenUsable(): Promise<void> {
    if (this.conn.ready) return;
    if (!this.conn.down) {
      await this.progress.until(() => this.conn.ready || this.conn.down, this.o.commandTimeoutMs);
      if (this.conn.ready) return;
    }
    throw new Error('Redis is not reachable');
  }

  private kick(): void {
    if (this.flushScheduled || this.stopped) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      void this.drain();
    });
  }

  private retrySoon(): void {
    if (this.retryTimer || this.stopped) return;
    const delay = Math.min(RETRY_DELAY_MS * 2 ** Math.max(0, this.failuresInRow - 1), MAX_RETRY_DELAY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
    this.retryTimer.unref();
  }

  /** Writes batches in queue order while Redis is usable; one batch in flight at a time. */
  private async drain(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (!this.stopped && this.conn.ready) {
        const items = this.backlog.peek(this.o.batchSize);
        if (items.length === 0) break;
        if (!(await this.writeBatch(items))) {
          this.retrySoon();
          break;
        }
      }
    } catch (err) {
      this.report(err);
      this.retrySoon();
    } finally {
      this.flushing = false;
    }
  }

  /**
   * How long after its first send an outcome may still be re-sent: its delivery marker lives
   * replayWindowSeconds from when Redis applied it (at or after the send), less a margin for the time the
   * re-send takes and for clock-rate differences.
   */
  private get replayBoundMs(): number {
    const windowMs = this.o.replayWindowSeconds * 1000;
    return windowMs - Math.min(60_000, windowMs * 0.05) - this.o.commandTimeoutMs;
  }

  /** Gives up the oldest queued event: it is counted in failedEvents and its answer is 'queued'. */
  private giveUp(item: Item, why: string): void {
    this.failedEvents += 1;
    if (item.event.kind === 'outcome') this.waiters.settle(item.event.deliveryId, 'queued');
    this.report(new Error(`gave up on a ${item.event.kind}: ${why}`));
  }

  /**
   * Sends one batch: one script call per experiment (see planBatch for why). Acknowledges the longest
   * prefix of events whose calls all succeeded; the rest stays queued and is sent again (a call that
   * succeeded is replayed as a no-op: every operation is idempotent). Returns false to pause the flusher.
   */
  private async writeBatch(peeked: readonly Item[]): Promise<boolean> {
    // The journal age bound of the replay window: an outcome sent long ago may be applied while its
    // delivery marker has expired, so a re-send could count it twice. Only an outcome caught in flight by
    // an outage longer than the window gets here; it is given up rather than risk a double count.
    const now = this.o.now();
    const stale = peeked.findIndex(
      (i) =>
        i.event.kind === 'outcome' &&
        i.event.sentAt !== undefined &&
        now - i.event.sentAt > this.replayBoundMs,
    );
    if (stale === 0) {
      this.giveUp(
        peeked[0]!,
        'first sent longer ago than replayWindowSeconds: a re-send could count it twice',
      );
      if (this.isolateLeft > 0) this.isolateLeft -= 1;
      this.backlog.ack(1);
      this.progress.notify();
      return true;
    }
    let items = stale > 0 ? peeked.slice(0, stale) : peeked;
    const isolated = this.isolateLeft > 0;
    if (isolated) items = items.slice(0, 1);
    for (const item of items) {
      if (item.event.kind === 'outcome' && item.event.sentAt === undefined)
        item.event = { ...item.event, sentAt: now }; // journaled with the event from now on
    }

    const plan = planBatch(
      items.map((i) => i.event),
      this.ctx,
    );
    let replies;
    try {
      replies = await this.conn.exec(plan.commands);
    } catch (err) {
      this.failuresInRow += 1;
      this.report(err);
      return false;
    }
    if (this.stopped) return false;

    // Per-target results of the calls that succeeded; the error of each call that failed.
    const perTarget: TargetStatus[][] = items.map(() => []);
    const callError: (Error | undefined)[] = plan.commands.map((_, c) => {
      const [err, results] = replies[c] ?? [new Error('missing pipeline reply'), null];
      try {
        if (err) throw err;
        const ops = plan.opEvents[c]!;
        if (!Array.isArray(results) || results.length !== ops.length)
          throw new Error('malformed apply reply');
        const statuses = ops.map((event, k) =>
          items[event]!.event.kind === 'outcome' ? targetStatusOf(results[k]) : undefined,
        );
        ops.forEach((event, k) => {
          const status = statuses[k];
          if (status) perTarget[event]!.push(status);
        });
        return undefined;
      } catch (e) {
        return toError(e);
      }
    });
    let done = 0;
    while (done < items.length && plan.eventCommands[done]!.every((c) => !callError[c])) done++;
    // The failure that holds back the first unacknowledged event.
    const failedCall = done < items.length ? plan.eventCommands[done]!.find((c) => callError[c]) : undefined;
    const failure = failedCall === undefined ? undefined : callError[failedCall];

    let giveUp = false;
    let pause = false;
    if (failure) {
      this.report(failure);
      if (isNoScript(failure)) {
        this.conn.reloadScripts();
        pause = true;
      } else if (isEventFault(failure)) {
        // The data of an event in the failed call is refused: find it by sending one event at a time.
        if (isolated) giveUp = ++items[done]!.attempts >= this.o.maxAttempts;
        else this.isolateLeft = items.length - done;
      } else {
        // A server condition (MISCONF, NOPERM, READONLY, BUSY, OOM, …): never the event's fault, so no
        // attempt is counted; retry the same events, with backoff, until the server takes them.
        this.failuresInRow += 1;
        pause = true;
      }
    } else {
      this.failuresInRow = 0;
    }

    const statuses = perTarget.slice(0, done).map((s) => combineTargetStatuses(s));
    // Count unattributed outcomes of the prefix, once per delivery, before acknowledging anything.
    const unattributed: QueuedOutcome[] = [];
    for (let i = 0; i < done; i++) {
      const event = items[i]!.event;
      if (event.kind === 'outcome' && statuses[i] === 'unattributed') unattributed.push(event);
    }
    if (unattributed.length > 0) {
      try {
        const counted = await this.conn.exec(unattributed.map((o) => unattributedCommand(o, this.ctx)));
        const bad = counted.find(([err]) => err);
        if (bad) throw bad[0];
      } catch (err) {
        this.failuresInRow += 1;
        this.report(err);
        return false;
      }
      if (this.stopped) return false;
    }

    for (let i = 0; i < done; i++) {
      const event = items[i]!.event;
      if (event.kind === 'outcome') this.waiters.settle(event.deliveryId, statuses[i]!);
    }
    if (giveUp) this.giveUp(items[done]!, `Redis refused it ${this.o.maxAttempts} times`);
    const acked = done + (giveUp ? 1 : 0);
    if (isolated) this.isolateLeft = Math.max(0, this.isolateLeft - acked);
    this.backlog.ack(acked);
    this.progress.notify();
    return !pause;
  }
}
