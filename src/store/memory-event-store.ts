// The embedded EventStore: exact, in-process, gone when the process exits (not durable).
// It is the reference: the Redis store's Lua implements the same rules (see README.md).
import {
  contribution,
  dayOf,
  nextCoMoments,
  nextMoments,
  nextRaw,
  type RatioPair,
  type RawValue,
} from './accumulate.js';
import type {
  AggregateQuery,
  CloseResult,
  DayAggregate,
  EventStore,
  ExperimentAggregates,
  Exposure,
  GuardrailObservation,
  OutcomeRecord,
  OutcomeStatus,
  StoreStatus,
} from './event-store.js';
import {
  combineTargetStatuses,
  guardrailOps,
  MAX_HELD_PER_USER,
  outcomeOp,
  type OutcomeOp,
} from './outcome-ops.js';
import { armAggregates, coMomentsOf, dailyAggregates, dayField, field, momentsOf } from './stat-fields.js';
import { SETTING_DEFAULTS } from '../config/settings.js';

export interface MemoryEventStoreOptions {
  /** How long an event_id is remembered, in milliseconds. @default ABGATE_DEDUP_WINDOW_S's default (24 h) */
  dedupWindowMs?: number;
  /** How long an outcome without an exposure is held for one, in ms. @default ABGATE_ATTRIBUTION_GRACE_S's default (5 min) */
  attributionGraceMs?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

type TargetStatus = 'accepted' | 'duplicate' | 'held' | 'unattributed';

interface HeldOp {
  readonly op: OutcomeOp;
  readonly due: number;
}

/** One phase of one experiment: who is in which arm, users' values, counters and held outcomes. */
class PhaseState {
  readonly armOf = new Map<string, string>();
  readonly multiArm = new Set<string>();
  /** metric → user → running value */
  readonly values = new Map<string, Map<string, RawValue>>();
  readonly totals = new Map<string, number>();
  /** `<day>|<field>` → the field's value at the end of that day */
  readonly daily = new Map<string, number>();
  readonly held = new Map<string, HeldOp[]>();

  read = (name: string): number => this.totals.get(name) ?? 0;

  /** Sets a counter, and its value for `day` (the day of the write). */
  set(name: string, value: number, day: number): void {
    this.totals.set(name, value);
    this.daily.set(dayField(day, name), value);
  }

  add(name: string, delta: number, day: number): void {
    if (delta !== 0) this.set(name, this.read(name) + delta, day);
  }

  private valuesOf(metric: string): Map<string, RawValue> {
    let v = this.values.get(metric);
    if (!v) this.values.set(metric, (v = new Map()));
    return v;
  }

  /** Applies one outcome of a user exposed in `arm` (the rule of accumulate.ts), then the ratios. */
  apply(user: string, arm: string, op: OutcomeOp, day: number): void {
    const values = this.valuesOf(op.metric);
    const prevRaw = values.get(user);
    const nextValue = nextRaw(op.type, prevRaw, op.value, op.count);
    values.set(user, nextValue);
    const prev = prevRaw === undefined ? undefined : contribution(op.type, prevRaw, op.cap);
    const next = contribution(op.type, nextValue, op.cap);

    const m = op.metric;
    if (op.type === 'binomial') {
      if (prev === undefined) this.add(field.users(arm, m), 1, day);
      this.add(field.converted(arm, m), next - (prev ?? 0), day);
    } else {
      const before = momentsOf(this.read, arm, m);
      const after = nextMoments(before, prev, next);
      if (prev === undefined) this.set(field.users(arm, m), after.users, day);
      if (before.users === 0) this.set(field.shift(arm, m), after.shift, day);
      this.set(field.mean(arm, m), after.mean, day);
      this.set(field.m2(arm, m), after.m2, day);
    }

    for (const link of op.ratios) {
      const otherRaw = this.values.get(link.other.metric)?.get(user);
      const other = otherRaw === undefined ? 0 : contribution(link.other.type, otherRaw, link.other.cap);
      const pair = (own: number): RatioPair =>
        link.role === 'numerator' ? { n: own, d: other } : { n: other, d: own };
      const before = prev === undefined && otherRaw === undefined ? undefined : pair(prev ?? 0);
      const r = field.ratio;
      const name = link.name;
      const was = coMomentsOf(this.read, arm, name);
      const c = nextCoMoments(was, before, pair(next));
      if (before === undefined) this.set(r.users(arm, name), c.users, day);
      if (was.users === 0) {
        this.set(r.shiftN(arm, name), c.shiftN, day);
        this.set(r.shiftD(arm, name), c.shiftD, day);
      }
      this.set(r.meanN(arm, name), c.meanN, day);
      this.set(r.meanD(arm, name), c.meanD, day);
      this.set(r.m2N(arm, name), c.m2N, day);
      this.set(r.m2D(arm, name), c.m2D, day);
      this.set(r.cND(arm, name), c.cND, day);
    }
  }

  /** Held outcomes whose grace period is over become unattributed. */
  sweep(now: number): void {
    for (const [user, ops] of this.held) {
      const keep = ops.filter((h) => h.due > now);
      for (const h of ops) if (h.due <= now) this.add(field.unattributed(h.op.metric), 1, dayOf(now));
      if (keep.length === 0) this.held.delete(user);
      else if (keep.length !== ops.length) this.held.set(user, keep);
    }
  }
}

class ExperimentState {
  readonly phases = new Map<number, PhaseState>();
  /** event_id → expiry (ms); insertion order is expiry order. */
  readonly dedup = new Map<string, number>();

  phase(n: number): PhaseState {
    let p = this.phases.get(n);
    if (!p) this.phases.set(n, (p = new PhaseState()));
    return p;
  }
}

export class MemoryEventStore implements EventStore {
  private readonly experiments = new Map<string, ExperimentState>();
  private readonly dedupWindowMs: number;
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(options: MemoryEventStoreOptions = {}) {
    this.dedupWindowMs = options.dedupWindowMs ?? SETTING_DEFAULTS.dedupWindowSeconds * 1000;
    this.graceMs = options.attributionGraceMs ?? SETTING_DEFAULTS.attributionGraceSeconds * 1000;
    this.now = options.now ?? Date.now;
  }

  private state(experiment: string): ExperimentState {
    let s = this.experiments.get(experiment);
    if (!s) this.experiments.set(experiment, (s = new ExperimentState()));
    return s;
  }

  recordExposure(e: Exposure): void {
    const p = this.state(e.experiment).phase(e.phase ?? 1);
    const now = this.now();
    p.sweep(now);
    const first = p.armOf.get(e.userId);
    if (first === undefined) {
      if (e.forced) return;
      p.armOf.set(e.userId, e.arm);
      p.add(field.exposures(e.arm), 1, dayOf(now));
      const held = p.held.get(e.userId);
      if (held) {
        p.held.delete(e.userId);
        for (const h of held) p.apply(e.userId, e.arm, h.op, dayOf(now));
      }
    } else if (first !== e.arm && !p.multiArm.has(e.userId)) {
      p.multiArm.add(e.userId);
      p.set(field.multipleArmUsers, p.multiArm.size, dayOf(now));
    }
  }

  recordGuardrail(o: GuardrailObservation): void {
    const now = this.now();
    for (const op of guardrailOps(o)) this.applyOp(o.experiment, o.phase ?? 1, o.userId, op, now);
  }

  /** True when `eventId` was already seen for this experiment inside the window; remembers it otherwise. */
  private seen(s: ExperimentState, eventId: string, now: number): boolean {
    for (const [id, expiry] of s.dedup) {
      if (expiry > now) break;
      s.dedup.delete(id);
    }
    if (s.dedup.has(eventId)) return true;
    s.dedup.set(eventId, now + this.dedupWindowMs);
    return false;
  }

  private applyOp(experiment: string, phase: number, user: string, op: OutcomeOp, now: number): TargetStatus {
    const s = this.state(experiment);
    const p = s.phase(phase);
    p.sweep(now);
    if (op.eventId !== undefined && this.seen(s, op.eventId, now)) return 'duplicate';
    const arm = p.armOf.get(user);
    if (arm !== undefined) {
      p.apply(user, arm, op, dayOf(now));
      return 'accepted';
    }
    const held = p.held.get(user) ?? [];
    if (held.length >= MAX_HELD_PER_USER) {
      p.add(field.unattributed(op.metric), 1, dayOf(now));
      return 'unattributed';
    }
    held.push({ op, due: now + this.graceMs });
    p.held.set(user, held);
    return 'held';
  }

  async recordOutcomes(records: readonly OutcomeRecord[]): Promise<OutcomeStatus[]> {
    const now = this.now();
    return records.map((record) =>
      combineTargetStatuses(
        record.targets.map((t) =>
          this.applyOp(t.experiment, t.phase ?? 1, record.userId, outcomeOp(record, t), now),
        ),
      ),
    );
  }

  private phaseOf(query: AggregateQuery): PhaseState | undefined {
    const p = this.experiments.get(query.experiment)?.phases.get(query.phase ?? 1);
    p?.sweep(this.now());
    return p;
  }

  async readAggregates(query: AggregateQuery): Promise<ExperimentAggregates> {
    const p = this.phaseOf(query);
    const read = p?.read ?? (() => 0);
    return {
      experiment: query.experiment,
      phase: query.phase ?? 1,
      arms: armAggregates(query, read),
      multipleArmUsers: read(field.multipleArmUsers),
      unattributed: Object.fromEntries(query.metrics.map((m) => [m.name, read(field.unattributed(m.name))])),
      heldUsers: p?.held.size ?? 0,
    };
  }

  async readDaily(query: AggregateQuery): Promise<DayAggregate[]> {
    const p = this.phaseOf(query);
    if (!p) return [];
    return dailyAggregates(query, p.daily);
  }

  status(): StoreStatus {
    return {
      backend: 'memory',
      connected: true,
      durable: false,
      queueDepth: 0,
      journalBytes: 0,
      journalFailing: false,
      replayedEvents: 0,
      failedEvents: 0,
      errors: 0,
    };
  }

  async close(): Promise<CloseResult> {
    return { unsaved: 0 };
  }
}
