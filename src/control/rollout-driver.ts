// Drives the automated canaries of this gateway's experiments (`rollout:` in their files). Every
// gateway runs one; for each experiment, only the holder of its lease acts: it reads the report
// (guardrails at their sequential bound, SRM, users per arm), asks the pure decision (core/rollout.ts)
// and applies it through live control, the same path as PATCH (version compare-and-set, a history
// entry with actor `rollout` and the reason). The others only read the shared progress, and take the
// lease over when its holder stops renewing it.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  decideRollout,
  isFinished,
  NOT_STARTED,
  progressToDrive,
  type GuardrailEvidence,
  type RolloutEvidence,
  type RolloutPlan,
  type RolloutProgress,
} from '../core/rollout.js';
import { buildReport, type Report } from '../reports/build-report.js';
import type { CompiledExperiment } from '../routing/compiled-experiment.js';
import type { EventStore } from '../store/event-store.js';
import { ControlError } from './control-error.js';
import type { ExperimentRegistry } from './registry.js';
import type { RolloutStore } from './rollout-store.js';

/** The actor of the canary's changes in the history. */
export const ROLLOUT_ACTOR = 'rollout';

export interface RolloutDriverOptions {
  readonly registry: ExperimentRegistry;
  readonly store: RolloutStore;
  readonly events: Pick<EventStore, 'readAggregates'>;
  readonly logger: Logger;
  /** Lease lifetime; renewed every third of it. */
  readonly leaseMs: number;
  /** Wall clock (ms since the epoch): step times and checks. @default Date.now */
  readonly now?: () => number;
  /** This driver's name in the lease. @default host/pid/random */
  readonly name?: string;
  /** Period of the checks. @default leaseMs / 3 */
  readonly tickMs?: number;
}

/** What this gateway last saw of a rollout (for /metrics and the report). */
export interface RolloutSnapshot {
  readonly progress: RolloutProgress;
  readonly driver: string | null;
}

export function planOf(exp: CompiledExperiment): RolloutPlan | undefined {
  const r = exp.definition.rollout;
  if (!r) return undefined;
  return {
    steps: r.steps,
    stepIntervalMs: r.step_interval_ms,
    minUsersPerArm: r.min_users_per_arm,
    onSuccess: r.on_success,
  };
}

/** The one non-control arm a canary rolls out (the schema makes sure there is exactly one). */
export function treatmentOf(exp: CompiledExperiment): string {
  return exp.definition.arms.find((a) => !a.control)!.name;
}

/** The report's view of the treatment: its guardrail limits, SRM and users per arm. */
export function evidenceOf(report: Report, treatment: string): RolloutEvidence {
  return {
    guardrails: report.guardrails
      .filter((g) => g.arm === treatment)
      .map((g): GuardrailEvidence => ({
        metric: g.metric,
        kind: g.kind,
        limit: g.limit,
        estimate: g.estimate,
        bound: g.bound,
        status: g.status,
      })),
    srmMismatch: report.srm.mismatch,
    srmPValue: report.srm.p_value,
    users: Object.fromEntries(report.arms.map((a) => [a.name, a.exposures ?? 0])),
  };
}

export class RolloutDriver {
  readonly name: string;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly seen = new Map<string, RolloutSnapshot>();
  private readonly held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: RolloutDriverOptions) {
    this.now = options.now ?? Date.now;
    this.name = options.name ?? `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
    this.tickMs = options.tickMs ?? Math.max(100, Math.floor(options.leaseMs / 3));
  }

  /** Checks every tick from now on (the timer does not keep the process alive). */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
    void this.tick();
  }

  /** The last seen progress of every experiment with a rollout. */
  snapshots(): ReadonlyMap<string, RolloutSnapshot> {
    return this.seen;
  }

  /** The stored progress of `experiment` and who drives it now, as every gateway sees them. */
  async status(experiment: string): Promise<RolloutSnapshot> {
    const progress = (await this.options.store.read(experiment)) ?? NOT_STARTED;
    const driver = isFinished(progress) ? null : await this.options.store.holder(experiment);
    return { progress, driver };
  }

  /** One round over every experiment with a rollout; never rejects (failures are logged). */
  tick(): Promise<void> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    for (const exp of this.options.registry.current().list()) {
      if (this.closed) return;
      const plan = planOf(exp);
      if (!plan) continue;
      try {
        await this.drive(exp, plan);
      } catch (err) {
        this.options.logger.warn(
          { err, experiment: exp.id },
          'rollout check failed; retrying at the next tick',
        );
      }
    }
  }

  private async drive(exp: CompiledExperiment, plan: RolloutPlan): Promise<void> {
    const { store } = this.options;
    const progress = progressToDrive(await store.read(exp.id), exp.definition.status, exp.live?.statusSince);
    if (isFinished(progress)) {
      if (this.held.delete(exp.id)) await store.release(exp.id, this.name);
      this.seen.set(exp.id, { progress, driver: null });
      return;
    }
    if (!(await store.acquire(exp.id, this.name, this.options.leaseMs))) {
      this.held.delete(exp.id);
      this.seen.set(exp.id, { progress, driver: await store.holder(exp.id) });
      return;
    }
    if (!this.held.has(exp.id)) {
      this.held.add(exp.id);
      this.options.logger.info({ experiment: exp.id, driver: this.name, progress }, 'driving the rollout');
      if (plan.stepIntervalMs < this.options.leaseMs) {
        this.options.logger.warn(
          { experiment: exp.id, stepIntervalMs: plan.stepIntervalMs, leaseMs: this.options.leaseMs },
          'the rollout step_interval is shorter than ABGATE_ROLLOUT_LEASE_MS: a dead driver may take longer than one step to replace',
        );
      }
    }
    const report = await buildReport(exp.definition, this.options.events, this.now, {
      phase: exp.phase,
      timeSeries: false,
    });
    const treatment = treatmentOf(exp);
    const decision = decideRollout({
      plan,
      progress,
      status: exp.definition.status,
      evidence: evidenceOf(report, treatment),
      control: exp.control.name,
      treatment,
      now: this.now(),
    });
    if (decision.change) {
      try {
        await this.options.registry.change(exp.id, decision.change, {
          actor: ROLLOUT_ACTOR,
          reason: decision.reasons.join('; '),
          ...(exp.live ? { ifMatch: exp.live.version } : {}),
        });
      } catch (err) {
        // Changed meanwhile (an operator, a file): decide again on the new state at the next tick.
        if (err instanceof ControlError && err.kind === 'version_mismatch') return;
        throw err;
      }
      this.options.logger.info(
        { experiment: exp.id, verdict: decision.verdict, change: decision.change, reasons: decision.reasons },
        'rollout step',
      );
    }
    const written = await store.write(exp.id, this.name, decision.next);
    this.seen.set(exp.id, { progress: written ? decision.next : progress, driver: this.name });
    if (isFinished(decision.next) && written) {
      this.held.delete(exp.id);
      await store.release(exp.id, this.name);
    }
  }

  /** Stops checking and hands every lease back, so another gateway takes over at once. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await Promise.all([...this.held].map((id) => this.options.store.release(id, this.name).catch(() => {})));
    this.held.clear();
    await this.options.store.close();
  }
}
