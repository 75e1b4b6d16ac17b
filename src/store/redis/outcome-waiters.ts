// The pending answers of recordOutcomes: settled when a record's batch is applied, else 'queued' after a wait.
import type { OutcomeStatus } from '../event-store.js';

/** The answers of one recordOutcomes call. */
interface Group {
  readonly ids: readonly string[];
  readonly results: OutcomeStatus[];
  left: number;
  readonly resolve: (statuses: OutcomeStatus[]) => void;
  timer: NodeJS.Timeout | undefined;
}

export class OutcomeWaiters {
  private readonly pending = new Map<string, { readonly group: Group; readonly index: number }>();

  /** One status per id, in order; ids not settled within `timeoutMs` resolve 'queued'. */
  wait(ids: readonly string[], timeoutMs: number): Promise<OutcomeStatus[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const group: Group = {
        ids,
        results: ids.map(() => 'queued'),
        left: ids.length,
        resolve,
        timer: undefined,
      };
      group.timer = setTimeout(() => this.finish(group), timeoutMs);
      ids.forEach((id, index) => this.pending.set(id, { group, index }));
    });
  }

  settle(id: string, status: OutcomeStatus): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    entry.group.results[entry.index] = status;
    if (--entry.group.left === 0) this.finish(entry.group);
  }

  settleAll(status: OutcomeStatus): void {
    for (const id of [...this.pending.keys()]) this.settle(id, status);
  }

  private finish(group: Group): void {
    clearTimeout(group.timer);
    if (group.left > 0) for (const id of group.ids) this.pending.delete(id);
    group.left = 0;
    group.resolve(group.results);
  }
}
