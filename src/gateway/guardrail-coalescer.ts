// The gateway's own guardrail measurements (abgate_errors, abgate_latency_ms), gathered per user in
// memory and written to the store as one GuardrailObservation per (experiment, phase, arm, user) and
// flush: a user sending 100 requests in 5 s costs the store one event, not 100.
import murmurhash from 'murmurhash';
import type { GuardrailObservation } from '../store/event-store.js';
import type { UpstreamAttempt } from '../telemetry/request-record.js';

export interface GuardrailSink {
  recordGuardrail(observation: GuardrailObservation): void;
}

export interface GuardrailCoalescerOptions {
  /** Period of the flush to the store, ms; 0: only on size and on close. */
  readonly flushMs: number;
  /** Pending users at which the coalescer flushes early, bounding its memory. @default 10000 */
  readonly maxEntries?: number;
  /** Wall clock for the observations' timestamps. @default Date.now */
  readonly now?: () => number;
  /** Share of users measured, 0-100, chosen by a hash of the user id (the same users every time). @default 100 */
  readonly samplePercent?: number;
}

/** Seed of the guardrail sample's hash: independent of the traffic and arm draws. */
const SAMPLE_SEED = 0x6775_6172; // guar

interface Pending {
  readonly experiment: string;
  readonly phase: number;
  readonly arm: string;
  readonly userId: string;
  errors: 0 | 1;
  latencyMs: number;
  requests: number;
  at: number;
}

/** What the assigned arm did for one request: whether it failed, and the time spent on it. */
export interface ArmOutcome {
  readonly failed: boolean;
  readonly ms: number;
}

/**
 * The assigned arm's part of a request's attempts: failed when any attempt to it ended in a 5xx, a
 * timeout or a connection error (a fallback to control answered in its place: still a failure of the
 * arm), and the time spent on it (until its answer's headers, or its failure). Undefined when the arm
 * was never tried or the client left first: nothing to say about the arm.
 */
export function armOutcome(
  arm: string,
  attempts: readonly UpstreamAttempt[] | undefined,
): ArmOutcome | undefined {
  if (attempts === undefined) return undefined;
  let tried = false;
  let failed = false;
  let ms = 0;
  for (let i = 0; i < attempts.length; i++) {
    const a = attempts[i]!;
    if (a.arm !== arm) continue;
    if (a.result === 'cancelled') return undefined;
    tried = true;
    ms += a.ms;
    if (a.result === '5xx' || a.result === 'timeout' || a.result === 'unavailable') failed = true;
  }
  return tried ? { failed, ms } : undefined;
}

export class GuardrailCoalescer {
  private pending = new Map<string, Pending>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  /** Users whose hash bucket (0-9999) is below this are measured. */
  private readonly sampleBuckets: number;

  constructor(
    private readonly sink: GuardrailSink,
    options: GuardrailCoalescerOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    this.sampleBuckets = Math.round((options.samplePercent ?? 100) * 100);
    if (options.flushMs > 0) {
      this.timer = setInterval(() => this.flush(), options.flushMs);
      this.timer.unref();
    }
  }

  /** Users waiting for the next flush. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Notes one request of an exposed user to its assigned arm. Every recorded request has a latency
   * (the failure's own duration when it failed), so no user's mean counts a missing latency as 0.
   */
  observe(
    experiment: string,
    phase: number,
    arm: string,
    userId: string,
    attempts: readonly UpstreamAttempt[] | undefined,
  ): void {
    if (this.sampleBuckets < 10_000 && murmurhash.v3(userId, SAMPLE_SEED) % 10_000 >= this.sampleBuckets) {
      return;
    }
    const outcome = armOutcome(arm, attempts);
    if (outcome === undefined) return;
    const key = `${experiment}\u0000${phase}\u0000${arm}\u0000${userId}`;
    const at = this.now();
    const p = this.pending.get(key);
    if (p) {
      if (outcome.failed) p.errors = 1;
      p.latencyMs += outcome.ms;
      p.requests++;
      p.at = at;
      return;
    }
    this.pending.set(key, {
      experiment,
      phase,
      arm,
      userId,
      errors: outcome.failed ? 1 : 0,
      latencyMs: outcome.ms,
      requests: 1,
      at,
    });
    if (this.pending.size >= this.maxEntries) this.flush();
  }

  /** Hands every pending user to the store (which batches and journals on its own). */
  flush(): number {
    const batch = this.pending;
    if (batch.size === 0) return 0;
    this.pending = new Map();
    for (const p of batch.values()) {
      this.sink.recordGuardrail({
        experiment: p.experiment,
        phase: p.phase,
        arm: p.arm,
        userId: p.userId,
        errors: p.errors,
        latencyMs: p.latencyMs,
        requests: p.requests,
        timestamp: p.at,
      });
    }
    return batch.size;
  }

  /** Stops the timer and flushes what is pending: call before the store closes. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }
}
