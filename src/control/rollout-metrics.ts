// Prometheus gauges of the automated canaries, from what this gateway last saw of each (every gateway
// reads the shared progress at each tick, so they agree; under --workers they aggregate by max).
import { Gauge, type Registry } from 'prom-client';
import type { RolloutPhase } from '../core/rollout.js';
import type { RolloutDriver } from './rollout-driver.js';

const STATES: readonly RolloutPhase[] = ['waiting', 'stepping', 'holding', 'concluded', 'rolled_back'];

export function registerRolloutMetrics(metrics: Registry, driver: RolloutDriver): void {
  const registers = [metrics];
  new Gauge({
    name: 'abgate_rollout_step',
    help: 'Step of each canary rollout being served (0-based index into its steps; -1 before the first)',
    labelNames: ['experiment'],
    registers,
    aggregator: 'max',
    collect() {
      this.reset();
      for (const [id, s] of driver.snapshots()) this.labels(id).set(s.progress.stepIndex);
    },
  });
  new Gauge({
    name: 'abgate_rollout_state',
    help: 'State of each canary rollout: 1 for the current state (waiting, stepping, holding, concluded, rolled_back)',
    labelNames: ['experiment', 'state'],
    registers,
    aggregator: 'max',
    collect() {
      this.reset();
      for (const [id, s] of driver.snapshots()) {
        for (const state of STATES) this.labels(id, state).set(s.progress.state === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'abgate_rollout_driving',
    help: '1 for each canary rollout this process drives (holds the lease of)',
    labelNames: ['experiment'],
    registers,
    aggregator: 'sum',
    collect() {
      this.reset();
      for (const [id, s] of driver.snapshots()) this.labels(id).set(s.driver === driver.name ? 1 : 0);
    },
  });
}
