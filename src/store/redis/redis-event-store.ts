// The durable EventStore: every event goes to the slot's write-ahead journal first, then to Redis in
// ordered batches (one apply-script call per experiment phase); the journal forgets an event once Redis
// acknowledged it. Invariants: ../README.md.
import { randomBytes } from 'node:crypto';
import {
  StoreUnavailableError,
  type AggregateQuery,
  type CloseResult,
  type DayAggregate,
  type EventStore,
  type ExperimentAggregates,
  type Exposure,
  type GuardrailObservation,
  type OutcomeRecord,
  type OutcomeStatus,
  type StoreStatus,
} from '../event-store.js';
import { Journal, JournalAppendError, type JournalItem } from '../journal/journal.js';
import { MAX_HELD_PER_USER } from '../outcome-ops.js';
import {
  interpretReplies,
  planBatch,
  sweepKeys,
  type BatchPlan,
  type CallReply,
  type PlanContext,
} from './batch-plan.js';
import { ExposureCache } from './exposure-cache.js';
import { KeyLayout } from './key-layout.js';
import { queuedEventCodec, typeLetter, type QueuedEvent, type QueuedOutcome } from './queued-event.js';
import { readDays, readTotals } from './read-stats.js';
import { isEventFault, undeclaredKeysOf } from './reply-errors.js';
import { createStoreClient, scriptArgs, type StoreRedis } from './store-client.js';
import {
  resolveOptions,
  type RedisEventStoreOptions,
  type ResolvedOptions,
} from './redis-event-store-options.js';

export type { RedisEventStoreOptions } from './redis-event-store-options.js';

/** Delay before trying again after a failed batch; doubled per failure in a row, up to MAX_RETRY_MS. */
const RETRY_MS = 100;
const MAX_RETRY_MS = 5000;
const SWEEP_BATCH = 500;

type Item = JournalItem<QueuedEvent>;

interface Waiter {
  status: OutcomeStatus | undefined;
}

/** Longest wait of an event nobody awaits before it is sent to Redis (see kick). */
const LINGER_MS = 5;

export class RedisEventStore implements EventStore {
  private readonly o: ResolvedOptions;
  private readonly keys: KeyLayout;
  private readonly journal: Journal<QueuedEvent>;
  private readonly client: StoreRedis;
  private readonly cache: ExposureCache;
  private readonly plan: Omit<PlanContext, 'epochCandidate' | 'now'>;
  /** Each batch proposes a different epoch, so keys lost and re-created by this very store are noticed. */
  private readonly epochBase: string;
  private batches = 0;
  /** Answers awaited by recordOutcomes, by journal sequence. */
  private readonly waiters = new Map<number, Waiter>();
  private readonly progress = new Set<() => void>();
  /** Last epoch seen per experiment: a new one means its keys were lost. */
  private readonly epochs = new Map<string, string>();
  /** Phases written to or read by this process: their held outcomes are swept here too. */
  private readonly phases = new Map<string, { experiment: string; phase: number }>();
  /** Per phase, keys its apply calls also declare, learned from ABGATE_KEYS replies (see batch-plan.ts). */
  private readonly learnedKeys = new Map<string, Set<string>>();
  private readonly health: NodeJS.Timeout;
  private readonly sweeper: NodeJS.Timeout;
  private scheduled = false;
  /** The pending drain while events linger for company (see kick). */
  private linger: NodeJS.Timeout | undefined;
  private draining = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failuresInRow = 0;
  /** Events still to send one per batch after a batch was refused for one event's data (see isEventFault). */
  private isolateLeft = 0;
  private stopped = false;
  private closing: Promise<CloseResult> | undefined;
  private ready = false;
  private everFailed = false;
  private errors = 0;
  private failedEvents = 0;

  constructor(options: RedisEventStoreOptions) {
    this.o = resolveOptions(options);
    this.keys = new KeyLayout(this.o.keyPrefix);
    this.journal = new Journal<QueuedEvent>({
      dir: this.o.journalDir,
      codec: queuedEventCodec,
      memoryLimit: this.o.queueLimit,
      fsyncIntervalMs: this.o.fsyncIntervalMs,
      ...(this.o.journalFs ? { fs: this.o.journalFs } : {}),
      onError: (err) => this.report(err),
      onProgress: () => {
        this.notify();
        this.kick();
      },
    });
    this.cache = new ExposureCache(this.o.exposureCacheSize);
    this.plan = {
      keys: this.keys,
      writer: this.journal.identity.writer,
      dedupWindowSeconds: this.o.dedupWindowSeconds,
      graceMs: this.o.attributionGraceMs,
      streamMaxLen: this.o.streamMaxLen,
      maxHeldPerUser: MAX_HELD_PER_USER,
      learnedKeys: (experiment, phase) => this.learnedKeys.get(`${experiment}\u0000${phase}`) ?? [],
    };
    this.epochBase = `${this.journal.identity.writer}.${this.journal.identity.generation}.${randomBytes(4).toString('hex')}`;
    this.client =
      this.o.client ??
      createStoreClient({
        url: this.o.url,
        clusterNodes: this.o.clusterNodes,
        commandTimeoutMs: this.o.commandTimeoutMs,
        reconnectMaxDelayMs: this.o.reconnectMaxDelayMs,
      });
    this.client.on('ready', () => this.recovered());
    // A Redis Cluster that replaced a failed master emits no 'ready' (the client as a whole stayed ready),
    // only new nodes: resume writing at once rather than after the back-off.
    this.client.on('+node', () => {
      if (this.client.status === 'ready') this.recovered();
    });
    this.client.on('close', () => {
      // The server that comes back may have lost data (no persistence, failover): the epoch would tell,
      // but only at the next write of each experiment; exposures skipped until then would be lost for good.
      this.cache.clear();
      if (this.ready && !this.stopped) this.o.onStateChange(false);
      this.ready = false;
      this.everFailed = true;
      this.notify();
    });
    this.client.on('error', (err) => {
      this.everFailed = true;
      this.report(err);
    });
    this.ready = this.client.status === 'ready';
    this.health = setInterval(() => this.checkHealth(), this.o.healthCheckIntervalMs || 1 << 30);
    this.health.unref();
    this.sweeper = setInterval(() => void this.sweepAll(), this.o.sweepIntervalMs);
    this.sweeper.unref();
    if (!this.journal.isEmpty) this.kick();
  }

  /** The slot's writer id and run (generation): what Redis records as applied. */
  get writerIdentity() {
    return this.journal.identity;
  }

  recordExposure(e: Exposure): void {
    if (this.stopped) {
      this.failedEvents += 1;
      this.report(new Error('RedisEventStore is closed: an exposure was dropped'));
      return;
    }
    const phase = e.phase ?? 1;
    if (!e.forced && this.cache.seen(e.experiment, phase, e.userId, e.arm)) return;
    // Written at once: the gateway answers the prediction within this same task.
    this.append(
      {
        k: 'x',
        e: e.experiment,
        p: phase,
        a: e.arm,
        u: e.userId,
        t: e.timestamp,
        ...(e.forced ? { f: 1 as const } : {}),
      },
      true,
    );
  }

  recordGuardrail(o: GuardrailObservation): void {
    if (this.stopped) return;
    this.append({
      k: 'g',
      e: o.experiment,
      p: o.phase ?? 1,
      a: o.arm,
      u: o.userId,
      err: o.errors,
      lat: o.latencyMs,
      n: o.requests,
      t: o.timestamp,
    });
  }

  /**
   * Journals an event that nobody awaits (`now`: written to the file before returning, else right after
   * this task); a failure is counted, never thrown.
   */
  private append(event: QueuedEvent, now = false): void {
    try {
      this.journal.append(event, now);
      this.kick();
    } catch (err) {
      this.failedEvents += 1;
      this.report(err);
    }
  }

  async recordOutcomes(records: readonly OutcomeRecord[]): Promise<OutcomeStatus[]> {
    if (this.stopped) throw new StoreUnavailableError('the event store is shutting down');
    if (this.journal.failing && !this.ready) {
      throw new StoreUnavailableError(
        'Redis is unreachable and the journal cannot be written; nothing was recorded',
      );
    }
    const seqs: number[] = [];
    const waiters: Waiter[] = [];
    try {
      for (const r of records) {
        const event: QueuedOutcome = {
          k: 'o',
          u: r.userId,
          m: r.metric,
          v: r.value,
          ...(r.eventId === undefined ? {} : { id: r.eventId }),
          t: r.timestamp,
          to: r.targets.map((t) => ({
            e: t.experiment,
            p: t.phase ?? 1,
            ty: typeLetter[t.metricType],
            ...(t.cap === undefined ? {} : { cap: t.cap }),
            ...(t.ratios && t.ratios.length > 0
              ? {
                  r: t.ratios.map((l) => ({
                    n: l.name,
                    role: l.role === 'numerator' ? ('n' as const) : ('d' as const),
                    om: l.other.metric,
                    ot: typeLetter[l.other.type],
                    ...(l.other.cap === undefined ? {} : { oc: l.other.cap }),
                  })),
                }
              : {}),
          })),
        };
        const seq = this.journal.append(event);
        const waiter: Waiter = { status: undefined };
        this.waiters.set(seq, waiter);
        seqs.push(seq);
        waiters.push(waiter);
      }
    } catch (err) {
      for (const s of seqs) this.waiters.delete(s);
      if (err instanceof JournalAppendError) throw new StoreUnavailableError(err.message);
      throw err;
    }
    this.kick();
    try {
      const settled = () => waiters.every((w) => w.status !== undefined);
      // Still connecting for the first time: give the connection its chance before answering from disk.
      if (!this.ready && !this.everFailed) {
        await this.until(() => this.ready || this.everFailed, this.o.commandTimeoutMs);
      }
      // Redis usable and not far behind: wait for the answers. Otherwise answer once it is on disk.
      const prompt = this.ready && !this.journal.behind && this.journal.memoryDepth <= 2 * this.o.batchSize;
      if (prompt) await this.until(settled, this.o.outcomeWaitMs);
      if (!settled()) {
        const durable = await this.journal.whenDurable(seqs[seqs.length - 1]!, this.o.durableWaitMs);
        if (!durable && !settled()) {
          throw new StoreUnavailableError(
            'the outcomes could not be applied or written to the journal in time; retry with the same event_id (they may still be counted once)',
          );
        }
      }
      return waiters.map((w) => w.status ?? 'queued');
    } finally {
      for (const s of seqs) this.waiters.delete(s);
    }
  }

  async readAggregates(query: AggregateQuery): Promise<ExperimentAggregates> {
    await this.whenUsable();
    const phase = query.phase ?? 1;
    this.track(query.experiment, phase);
    await this.sweep(query.experiment, phase);
    return readTotals(this.client, this.keys, query);
  }

  async readDaily(query: AggregateQuery): Promise<DayAggregate[]> {
    await this.readAggregates(query); // sweeps held outcomes past their grace first
    return readDays(this.client, this.keys, query);
  }

  status(): StoreStatus {
    return {
      backend: 'redis',
      connected: this.ready,
      durable: true,
      queueDepth: this.journal.depth,
      journalBytes: this.journal.bytes,
      journalFailing: this.journal.failing,
      replayedEvents: this.journal.replayed,
      failedEvents: this.failedEvents + this.journal.corrupt,
      errors: this.errors,
    };
  }

  /**
   * Resolves true once every event recorded before the call (and any journal of an earlier run) is
   * applied; false if that takes longer than `timeoutMs` or the store closes first.
   */
  async flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.kick();
    return this.until(() => this.stopped || this.journal.isEmpty, timeoutMs).then(() => this.journal.isEmpty);
  }

  /** Applies what it can within closeTimeoutMs; the rest stays in the journal for the next run. */
  close(): Promise<CloseResult> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<CloseResult> {
    this.kick();
    await this.until(() => this.journal.isEmpty || !this.ready, this.o.closeTimeoutMs);
    this.stopped = true;
    clearInterval(this.health);
    clearInterval(this.sweeper);
    clearTimeout(this.retryTimer);
    await this.until(() => !this.draining, this.o.commandTimeoutMs * 2);
    const { unwritten } = await this.journal.close(this.o.closeTimeoutMs);
    this.notify();
    if (this.o.client === undefined) {
      try {
        await this.client.quit();
      } catch {
        this.client.disconnect();
      }
    }
    return { unsaved: unwritten };
  }

  private report(err: unknown): void {
    this.errors += 1;
    try {
      this.o.onError(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // a throwing hook must not break the store
    }
  }

  private notify(): void {
    for (const check of [...this.progress]) check();
  }

  /** Resolves once `done()` holds (checked now and on every progress), or after `timeoutMs`. */
  private until(done: () => boolean, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        if (!done()) return;
        this.progress.delete(check);
        clearTimeout(timer);
        resolve();
      };
      this.progress.add(check);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          this.progress.delete(check);
          resolve();
        }, timeoutMs);
      }
    });
  }

  /** Waits briefly for a first connection; throws while Redis is known to be unreachable. */
  private async whenUsable(): Promise<void> {
    if (this.ready) return;
    if (!this.everFailed) await this.until(() => this.ready || this.everFailed, this.o.commandTimeoutMs);
    if (!this.ready) throw new Error('Redis is not reachable');
  }

  /**
   * Schedules a drain. Events nobody awaits (exposures, guardrails) wait up to LINGER_MS for company,
   * so that at low traffic one Redis round trip carries several of them instead of one per request
   * (~40% of the gateway's CPU per request at one request in flight, `bench/wrk-profile.ts
   * --connections 1`); awaited outcomes, a full batch or a batch already in flight go at once.
   */
  /** Whether queued events should go now: someone awaits them, a batch is full, or a backlog waits on disk. */
  private urgent(): boolean {
    return this.waiters.size > 0 || this.journal.memoryDepth >= this.o.batchSize || this.journal.behind;
  }

  private kick(): void {
    if (this.stopped || this.retryTimer) return;
    const urgent = this.urgent();
    if (this.linger !== undefined && urgent) {
      clearTimeout(this.linger);
      this.linger = undefined;
      this.scheduled = false;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.linger = undefined;
      this.scheduled = false;
      void this.drain();
    };
    if (urgent || this.draining) setImmediate(run);
    else {
      this.linger = setTimeout(run, LINGER_MS);
      this.linger.unref();
    }
  }

  /** The connection works again: forget the back-off and write what waits. */
  private recovered(): void {
    if (this.stopped) return;
    if (!this.ready) this.o.onStateChange(true);
    this.ready = true;
    this.failuresInRow = 0;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.notify();
    this.kick();
  }

  private retrySoon(): void {
    if (this.retryTimer || this.stopped) return;
    const delay = Math.min(RETRY_MS * 2 ** Math.max(0, this.failuresInRow - 1), MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
    this.retryTimer.unref();
  }

  private track(experiment: string, phase: number): void {
    const id = `${experiment}\u0000${phase}`;
    if (!this.phases.has(id)) this.phases.set(id, { experiment, phase });
  }

  /** Writes batches in journal order while Redis is usable; one batch in flight at a time. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    let lingerAfter = false;
    try {
      while (!this.stopped && this.ready) {
        const items = this.journal.peek(this.isolateLeft > 0 ? 1 : this.o.batchSize);
        if (items.length === 0) break;
        if (!(await this.writeBatch(items))) {
          this.retrySoon();
          break;
        }
        // A small remainder nobody awaits lingers for company (see kick) rather than going alone.
        if (!this.urgent()) {
          lingerAfter = true;
          break;
        }
      }
    } catch (err) {
      this.report(err);
      this.failuresInRow += 1;
      this.retrySoon();
    } finally {
      this.draining = false;
      this.notify();
      if (lingerAfter && !this.journal.isEmpty) this.kick();
    }
  }

  /** Sends one batch; acknowledges the longest prefix whose calls succeeded. False pauses the loop. */
  private async writeBatch(items: readonly Item[]): Promise<boolean> {
    const events = items.map((i) => i.event);
    const plan = planBatch(items, {
      ...this.plan,
      epochCandidate: `${this.epochBase}.${++this.batches}`,
      now: this.o.now(),
    });
    for (const c of plan.calls) this.track(c.experiment, c.phase);
    const replies = await Promise.all(plan.calls.map((c) => this.send(c.keys, c.args)));
    const result = interpretReplies(plan, events, replies);
    const learned = this.learnKeys(plan, replies);

    for (const [experiment, epoch] of result.epochs) {
      const known = this.epochs.get(experiment);
      this.epochs.set(experiment, epoch);
      if (known !== undefined && known !== epoch) {
        // Its keys were lost (no persistence, failover, eviction): users exposed before must be again.
        this.cache.forget(experiment);
        this.report(
          new Error(
            `Redis lost the data of experiment "${experiment}" (epoch changed); exposures are re-recorded`,
          ),
        );
      }
    }

    let giveUp = false;
    let pause = false;
    if (result.failure) {
      const failure = result.failure;
      const isolated = this.isolateLeft > 0;
      const relearned = learned && undeclaredKeysOf(failure) !== undefined;
      if (!relearned) this.report(failure);
      if (isEventFault(failure)) {
        // The data of an event in the failed call is refused: find it by sending one event at a time.
        if (isolated) giveUp = ++items[result.done]!.attempts >= this.o.maxAttempts;
        else this.isolateLeft = items.length - result.done;
      } else if (relearned) {
        // The call wrote nothing and named keys it must also declare: planned again with them at once.
      } else {
        // A server condition (MISCONF, READONLY, OOM, CLUSTERDOWN, a timeout…): never the event's fault.
        this.failuresInRow += 1;
        pause = true;
        if (/timed out/i.test(failure.message)) this.lost();
      }
    } else {
      this.failuresInRow = 0;
    }

    for (const [index, status] of result.outcomes) {
      const waiter = this.waiters.get(items[index]!.seq);
      if (waiter && items[index]!.generation === this.journal.identity.generation) waiter.status = status;
    }
    if (giveUp) {
      this.failedEvents += 1;
      const item = items[result.done]!;
      const waiter = this.waiters.get(item.seq);
      if (waiter && item.generation === this.journal.identity.generation) waiter.status = 'refused';
      this.report(new Error(`gave up on an event Redis refused ${this.o.maxAttempts} times`));
    }
    const acked = result.done + (giveUp ? 1 : 0);
    if (this.isolateLeft > 0) this.isolateLeft = Math.max(0, this.isolateLeft - acked);
    this.journal.ack(acked);
    this.notify();
    // Keep going while events are acknowledged, or while an event at fault is being isolated.
    return !pause && (acked > 0 || this.isolateLeft > 0 || learned);
  }

  /** Records the keys ABGATE_KEYS replies named, per phase; true when one was new. */
  private learnKeys(plan: BatchPlan, replies: readonly CallReply[]): boolean {
    let learned = false;
    plan.calls.forEach((call, c) => {
      const reply = replies[c];
      const keys = reply && 'error' in reply ? undeclaredKeysOf(reply.error) : undefined;
      if (!keys) return;
      const id = `${call.experiment}\u0000${call.phase}`;
      let known = this.learnedKeys.get(id);
      if (!known) this.learnedKeys.set(id, (known = new Set()));
      for (const k of keys) {
        if (!known.has(k)) learned = true;
        known.add(k);
      }
    });
    return learned;
  }

  /** One apply call; with waitReplicas, acknowledged only once that many replicas have it (WAIT). */
  private async send(keys: readonly string[], args: readonly (string | number)[]): Promise<CallReply> {
    try {
      const call = scriptArgs(keys, args);
      if (this.o.waitReplicas === 0) return { result: await this.client.abgateApply(...call) };
      const replies = await this.client
        .pipeline()
        .abgateApply(...call)
        .call('WAIT', this.o.waitReplicas, this.o.waitTimeoutMs)
        .exec();
      const [applied, waited] = replies ?? [];
      if (!applied || applied[0]) return { error: applied?.[0] ?? new Error('no reply') };
      if (!waited || waited[0]) return { error: waited?.[0] ?? new Error('no WAIT reply') };
      if (Number(waited[1]) < this.o.waitReplicas) {
        return {
          error: new Error(
            `only ${String(waited[1])} of ${this.o.waitReplicas} replicas confirmed the write (ABGATE_REDIS_WAIT_REPLICAS); retrying`,
          ),
        };
      }
      return { result: applied[1] };
    } catch (err) {
      return { error: err instanceof Error ? err : new Error(String(err)) };
    }
  }

  private async sweep(experiment: string, phase: number): Promise<void> {
    await this.client.abgateSweep(
      ...scriptArgs(sweepKeys(this.keys, experiment, phase), [SWEEP_BATCH, this.o.now()]),
    );
  }

  /** Held outcomes past their grace period become unattributed, in every phase this process knows. */
  private async sweepAll(): Promise<void> {
    if (!this.ready || this.stopped) return;
    for (const { experiment, phase } of this.phases.values()) {
      try {
        await this.sweep(experiment, phase);
      } catch (err) {
        this.report(err);
        return;
      }
    }
  }

  private checkHealth(): void {
    if (this.draining || this.stopped) return;
    // Not ready while the client is: a cluster whose failed master was replaced says so by no event.
    if (!this.ready && this.client.status !== 'ready') return;
    this.client.ping().then(
      () => {
        // Usable again, and a paused write loop need not wait out its back-off.
        if (!this.ready || this.retryTimer) this.recovered();
      },
      (err: unknown) => {
        this.report(err);
        if (err instanceof Error && /timed out/i.test(err.message)) this.lost();
      },
    );
  }

  /**
   * The server stopped answering (a command timed out): unusable until the client is ready again. The
   * client's own 'close' may come much later (a frozen peer never finishes closing), so mark it here.
   */
  private lost(): void {
    if (this.ready) this.o.onStateChange(false);
    this.ready = false;
    this.everFailed = true;
    this.notify();
    this.client.disconnect(true);
  }
}
