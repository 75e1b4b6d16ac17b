// The LiveStateBackend seam: where the live state and history of experiments are shared.
// Implementations: MemoryLiveBackend (one process) and RedisLiveBackend (every gateway and worker).
import type { HistoryEntry, LiveState } from '../core/lifecycle.js';

/** A change was written by someone (this process included): experiment and its new version. */
export type ChangeListener = (experiment: string, version: number) => void;

export type CasResult = { readonly ok: true } | { readonly ok: false; readonly version: number };

export interface LiveStateBackend {
  readonly kind: 'memory' | 'redis';
  /** False while the backing service is unreachable (reads and writes then fail). */
  connected(): boolean;
  /** The stored state, or undefined when there is none. Rejects when unreachable. */
  read(experiment: string): Promise<LiveState | undefined>;
  /** Stored versions (0 for none), for the periodic check that heals a missed notification. */
  readVersions(experiments: readonly string[]): Promise<Map<string, number>>;
  /**
   * Writes `next` and appends `entry` to the history, atomically, only if the stored version is still
   * `expectedVersion` (0: nothing stored yet). Then notifies every listener (of every process).
   */
  compareAndSet(
    experiment: string,
    expectedVersion: number,
    next: LiveState,
    entry: HistoryEntry,
  ): Promise<CasResult>;
  /** Every change, oldest first (capped: the oldest are dropped first). */
  history(experiment: string): Promise<HistoryEntry[]>;
  /**
   * Calls `listener` for changes; `onReconnect` when notifications may have been missed. Resolves once
   * notifications flow (with Redis: when the subscription is confirmed, which waits for a connection).
   */
  subscribe(listener: ChangeListener, onReconnect?: () => void): Promise<void>;
  close(): Promise<void>;
}
