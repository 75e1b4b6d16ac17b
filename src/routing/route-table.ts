// Finds the experiment that serves a request path: exact match or the longest prefix at a "/" boundary.
import { isRouted } from '../core/lifecycle.js';
import type { CompiledExperiment } from './compiled-experiment.js';

export interface RouteMatch {
  readonly experiment: CompiledExperiment;
  /** The part of the path after the experiment's route ("" or starting with "/"). */
  readonly rest: string;
}

export class RouteTable {
  private readonly byPath = new Map<string, CompiledExperiment>();

  /**
   * Running, paused, concluded and rolled-back experiments route; draft and stopped ones are not served.
   * When two claim the same path, the first one keeps it (the registry reports the other).
   */
  constructor(experiments: Iterable<CompiledExperiment>) {
    for (const e of experiments) {
      const path = e.definition.route.path;
      if (isRouted(e.definition.status) && !this.byPath.has(path)) this.byPath.set(path, e);
    }
  }

  /** The experiment serving exactly `path` (a route path, not a request path). */
  owner(path: string): CompiledExperiment | undefined {
    return this.byPath.get(path);
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
