// Prometheus gauges of live control, read from the registry at scrape time. Every worker holds the same
// values, so under --workers N they aggregate by max rather than by sum.
import { Gauge, type Registry } from 'prom-client';
import type { ExperimentRegistry } from './registry.js';

export function registerControlMetrics(metrics: Registry, registry: ExperimentRegistry): void {
  const registers = [metrics];
  new Gauge({
    name: 'abgate_experiment_file_errors',
    help: 'Experiment files that fail to load; each keeps its previous definition serving until fixed',
    registers,
    aggregator: 'max',
    collect() {
      this.set(registry.fileErrorCount());
    },
  });
  new Gauge({
    name: 'abgate_experiment_conflicts',
    help: 'Fields where the live state differs from the experiment file (the live change wins)',
    registers,
    aggregator: 'max',
    collect() {
      this.set(registry.conflictCount());
    },
  });
  new Gauge({
    name: 'abgate_live_state_connected',
    help: '1 when the live state store answered the last check',
    registers,
    aggregator: 'min',
    collect() {
      this.set(registry.status().connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'abgate_experiment_version',
    help: 'Live state version of each experiment served',
    labelNames: ['experiment'],
    registers,
    aggregator: 'max',
    collect() {
      this.reset();
      for (const exp of registry.current().list()) this.labels(exp.id).set(exp.live?.version ?? 0);
    },
  });
  new Gauge({
    name: 'abgate_experiment_traffic_percent',
    help: 'Share of users enrolled in each experiment (percent), as served now',
    labelNames: ['experiment'],
    registers,
    aggregator: 'max',
    collect() {
      this.reset();
      for (const exp of registry.current().list()) this.labels(exp.id).set(exp.definition.traffic);
    },
  });
  new Gauge({
    name: 'abgate_experiment_phase',
    help: 'Current allocation phase of each experiment',
    labelNames: ['experiment'],
    registers,
    aggregator: 'max',
    collect() {
      this.reset();
      for (const exp of registry.current().list()) this.labels(exp.id).set(exp.phase);
    },
  });
}
