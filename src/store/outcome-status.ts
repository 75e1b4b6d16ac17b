// Folds the per-experiment results of one outcome into the event's single status.
import type { OutcomeStatus } from './event-store.js';

type TargetStatus = Exclude<OutcomeStatus, 'queued'>;

/** accepted if any experiment counted it; else duplicate if any had seen it; else held if any holds it; else unattributed. */
export function combineTargetStatuses(statuses: readonly TargetStatus[]): TargetStatus {
  if (statuses.includes('accepted')) return 'accepted';
  if (statuses.includes('duplicate')) return 'duplicate';
  if (statuses.includes('held')) return 'held';
  return 'unattributed';
}
