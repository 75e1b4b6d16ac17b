// One line saying where an experiment is in its lifecycle and which phase a report covers.
import type { ReportState } from './build-report.js';

const STATUS_WORDS: Record<ReportState['status'], string> = {
  draft: 'draft (not started)',
  running: 'running',
  paused: 'paused (everyone on control, outcomes still counted)',
  concluded: 'concluded',
  rolled_back: 'rolled back (everyone on control)',
  stopped: 'stopped (not served)',
};

/** An ISO time for people: "2026-11-01 08:00:00 UTC". */
export function day(iso: string | null): string {
  return iso === null ? 'an unknown time' : iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** e.g. "concluded since 2026-01-05 10:00:00 UTC, winner treatment serves everyone". */
export function statusLine(state: ReportState): string {
  let line = STATUS_WORDS[state.status];
  if (state.since !== null) line += ` since ${day(state.since)}`;
  if (state.status === 'concluded' && state.winner !== null)
    line += `, winner ${state.winner} serves everyone`;
  if (state.status === 'running' || state.status === 'paused')
    line += `, ${state.traffic}% of users enrolled`;
  return line;
}

/** e.g. "phase 2 of 2, since …" or "phase 1 of 2 (an earlier allocation), from … to …". */
export function phaseLine(state: ReportState): string {
  const of = `phase ${state.phase} of ${state.current_phase}`;
  if (state.phase === state.current_phase) {
    return `${of}${state.phase_started_at === null ? '' : `, since ${day(state.phase_started_at)}`}`;
  }
  return `${of} (an earlier allocation), from ${day(state.phase_started_at)} to ${day(state.phase_ended_at)}`;
}

/** e.g. "concluded since … · phase 2 of 2, since …". */
export function stateLine(state: ReportState): string {
  return `${statusLine(state)} · ${phaseLine(state)}`;
}
