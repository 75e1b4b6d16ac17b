// Live state kept in this process: the backend without Redis (a single gateway; lost when it stops).
import type { HistoryEntry, LiveState } from '../core/lifecycle.js';
import type { CasResult, ChangeListener, LiveStateBackend } from './live-backend.js';

export interface MemoryLiveBackendOptions {
  /** Most history entries kept per experiment; the oldest go first. @default 10000 */
  historyLimit?: number;
}

export class MemoryLiveBackend implements LiveStateBackend {
  readonly kind = 'memory' as const;
  private readonly states = new Map<string, LiveState>();
  private readonly entries = new Map<string, HistoryEntry[]>();
  private readonly listeners: ChangeListener[] = [];
  private readonly historyLimit: number;

  constructor(options: MemoryLiveBackendOptions = {}) {
    this.historyLimit = options.historyLimit ?? 10_000;
  }

  connected(): boolean {
    return true;
  }

  async read(experiment: string): Promise<LiveState | undefined> {
    return this.states.get(experiment);
  }

  async readVersions(experiments: readonly string[]): Promise<Map<string, number>> {
    return new Map(experiments.map((id) => [id, this.states.get(id)?.version ?? 0]));
  }

  async compareAndSet(
    experiment: string,
    expectedVersion: number,
    next: LiveState,
    entry: HistoryEntry,
  ): Promise<CasResult> {
    const version = this.states.get(experiment)?.version ?? 0;
    if (version !== expectedVersion) return { ok: false, version };
    this.states.set(experiment, next);
    let list = this.entries.get(experiment);
    if (!list) this.entries.set(experiment, (list = []));
    list.push(entry);
    if (list.length > this.historyLimit) list.splice(0, list.length - this.historyLimit);
    // Like a pub/sub message: after the write is visible, never inside the caller's turn.
    queueMicrotask(() => {
      for (const l of this.listeners) l(experiment, next.version);
    });
    return { ok: true };
  }

  async history(experiment: string): Promise<HistoryEntry[]> {
    return [...(this.entries.get(experiment) ?? [])];
  }

  async subscribe(listener: ChangeListener): Promise<void> {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.listeners.length = 0;
  }
}
