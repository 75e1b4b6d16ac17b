// What a report of one phase needs from live state: the definition with that phase's weights, and
// the lifecycle facts the report states (status and since when, phase and its start).
import type { ExperimentDefinition } from '../config/experiment-schema.js';
import type { ReportState } from '../reports/build-report.js';
import type { CompiledExperiment } from '../routing/compiled-experiment.js';

export interface PhaseReportInput {
  readonly definition: ExperimentDefinition;
  readonly phase: number;
  readonly state: ReportState;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The report input of `exp` for `phase` (default: the current one). Returns undefined when the
 * experiment has no such phase.
 */
export function phaseReportInput(exp: CompiledExperiment, phase?: number): PhaseReportInput | undefined {
  const def = exp.definition;
  const live = exp.live;
  const wanted = phase ?? exp.phase;
  if (!live) {
    if (wanted !== 1) return undefined;
    return {
      definition: def,
      phase: 1,
      state: {
        status: def.status,
        since: null,
        version: null,
        winner: def.winner ?? null,
        traffic: def.traffic,
        phase: 1,
        current_phase: 1,
        phase_started_at: null,
        phase_ended_at: null,
      },
    };
  }
  const index = live.phases.findIndex((p) => p.phase === wanted);
  const record = live.phases[index];
  if (!record) return undefined;
  const following = live.phases[index + 1];
  return {
    // The arms as configured now, weighted as they were in that phase (for the sample-ratio check).
    definition: {
      ...def,
      arms: def.arms.map((a) => ({ ...a, weight: record.weights[a.name] ?? a.weight })),
    },
    phase: wanted,
    state: {
      status: live.status,
      // An unsynced state (version 0) knows nothing of the real status change.
      since: live.version > 0 ? iso(live.statusSince) : null,
      version: live.version > 0 ? live.version : null,
      winner: live.winner,
      traffic: live.traffic,
      phase: wanted,
      current_phase: exp.phase,
      phase_started_at: live.version > 0 ? iso(record.startedAt) : null,
      phase_ended_at: following ? iso(following.startedAt) : null,
    },
  };
}
