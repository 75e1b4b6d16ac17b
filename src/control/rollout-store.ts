// Where canaries keep their lease (one driver per experiment) and their progress (so that a new
// driver continues where a dead one stopped). Memory (one process) or Redis (see rollout-redis-store.ts).
import type { RolloutProgress } from '../core/rollout.js';

export interface RolloutStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Takes the lease of `experiment` for `owner` for `ttlMs`, or renews it when `owner` holds it
   * already. False when someone else holds it.
   */
  acquire(experiment: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up, if `owner` holds it. */
  release(experiment: string, owner: string): Promise<void>;
  /** Who holds the lease now, or null. */
  holder(experiment: string): Promise<string | null>;
  read(experiment: string): Promise<RolloutProgress | undefined>;
  /** Writes the progress only while `owner` holds the lease (a driver that lost it writes nothing). */
  write(experiment: string, owner: string, progress: RolloutProgress): Promise<boolean>;
  close(): Promise<void>;
}

/** Parses stored progress; undefined when it is not what a driver wrote. */
export function decodeProgress(text: string | null): RolloutProgress | undefined {
  if (text === null) return undefined;
  try {
    const p = JSON.parse(text) as Partial<RolloutProgress>;
    if (typeof p.state !== 'string' || typeof p.stepIndex !== 'number') return undefined;
    return {
      state: p.state,
      stepIndex: p.stepIndex,
      stepStartedAt: typeof p.stepStartedAt === 'number' ? p.stepStartedAt : null,
      lastCheck: p.lastCheck ?? null,
    };
  } catch {
    return undefined;
  }
}

/** Lease and progress in this process: a single gateway. */
export class MemoryRolloutStore implements RolloutStore {
  readonly kind = 'memory' as const;
  private readonly leases = new Map<string, { owner: string; until: number }>();
  private readonly progress = new Map<string, RolloutProgress>();

  constructor(private readonly now: () => number = Date.now) {}

  async acquire(experiment: string, owner: string, ttlMs: number): Promise<boolean> {
    const lease = this.leases.get(experiment);
    const now = this.now();
    if (lease && lease.owner !== owner && lease.until > now) return false;
    this.leases.set(experiment, { owner, until: now + ttlMs });
    return true;
  }

  async release(experiment: string, owner: string): Promise<void> {
    if (this.leases.get(experiment)?.owner === owner) this.leases.delete(experiment);
  }

  async holder(experiment: string): Promise<string | null> {
    const lease = this.leases.get(experiment);
    return lease && lease.until > this.now() ? lease.owner : null;
  }

  async read(experiment: string): Promise<RolloutProgress | undefined> {
    return this.progress.get(experiment);
  }

  async write(experiment: string, owner: string, progress: RolloutProgress): Promise<boolean> {
    if ((await this.holder(experiment)) !== owner) return false;
    this.progress.set(experiment, progress);
    return true;
  }

  async close(): Promise<void> {}
}
