// Finds the experiment that serves a request path: exact match or the longest prefix at a "/" boundary.
import type { CompiledExperiment } from './compiled-experiment.js';

export interface RouteMatch {
  readonly experiment: CompiledExperiment;
  /** The part of the path after the experiment's route ("" or starting with "/"). */
  readonly rest: string;
}

export class RouteTable {
  private readonly byPath = new Map<string, CompiledExperiment>();

  /** Only running and paused experiments route; draft and stopped ones are not served. */
  constructor(experiments: Iterable<CompiledExperiment>) {
    for (const e of experiments) {
      const s = e.definition.status;
      if (s === 'running' || s === 'paused') this.byPath.set(e.definition.route.path, e);
    }
  }

  get size(): number {
    return this.byPath.size;
  }

  /** `path` is the URL path without the query string. */
  match(path: string): RouteMatch | undefined {
    if (this.byPath.size === 0) return undefined;
    const exact = this.byPath.get(path);
    if (exact) return { experiment: exact, rest: '' };
    let end = path.lastIndexOf('/');
    while (end > 0) {
      const hit = this.byPath.get(path.slice(0, end));
      if (hit) return { experiment: hit, rest: path.slice(end) };
      end = path.lastIndexOf('/', end - 1);
    }
    return undefined;
  }
}
