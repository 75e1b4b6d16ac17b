// Where the Redis store keeps things: keys of one experiment share the hash tag {<experiment>} (one slot).

/** Keys of one experiment. */
export interface ExperimentKeys {
  /** Hash: user → the arm that user was first exposed in. */
  readonly armOf: string;
  /** Set: users seen in more than one arm. */
  readonly multiArm: string;
  /** Hash of counters: see `statField`. Read with one HMGET. */
  readonly stats: string;
  /** Hash: user → that user's value of `metric`. */
  values(metric: string): string;
  /**
   * String with TTL: `seen:<event id>` marks an event id as counted (`<status letter><delivery id>`, for
   * the dedup window); `seen:~<delivery id>` marks one delivery as applied (`<status letter>`, for the
   * replay window).
   */
  seen(dedupId: string): string;
  /** Stream: raw log of first exposures, multi-arm sightings and applied outcomes. */
  readonly log: string;
}

/** Keys of the unattributed-outcome counters (their own slot). */
export interface UnattributedKeys {
  /** Hash: metric → outcomes that found no exposed user. */
  readonly counts: string;
  /** String with TTL: marks a delivery as counted. */
  seen(deliveryId: string): string;
}

/** Field names in an experiment's stats hash. Arm and metric names are slugs: they hold no ':'. */
export const statField = {
  multipleArmUsers: 'multiple-arm-users',
  exposures: (arm: string) => `exposures:${arm}`,
  users: (arm: string, metric: string) => `users:${arm}:${metric}`,
  sum: (arm: string, metric: string) => `sum:${arm}:${metric}`,
  sumSquares: (arm: string, metric: string) => `sumsq:${arm}:${metric}`,
  converted: (arm: string, metric: string) => `converted:${arm}:${metric}`,
} as const;

/** Builds key names under a prefix; experiment key sets are cached. */
export class KeyLayout {
  private readonly cache = new Map<string, ExperimentKeys>();
  readonly unattributed: UnattributedKeys;

  /** @param prefix first part of every key. @default "abgate" */
  constructor(readonly prefix = 'abgate') {
    // '~' cannot appear in an experiment id (a slug), so this tag never collides with one.
    const tag = `${prefix}:{~unattributed}`;
    this.unattributed = { counts: `${tag}:counts`, seen: (id) => `${tag}:seen:${id}` };
  }

  experiment(experiment: string): ExperimentKeys {
    let keys = this.cache.get(experiment);
    if (!keys) {
      const tag = `${this.prefix}:{${experiment}}`;
      keys = {
        armOf: `${tag}:arm`,
        multiArm: `${tag}:multi-arm`,
        stats: `${tag}:stats`,
        values: (metric) => `${tag}:values:${metric}`,
        seen: (id) => `${tag}:seen:${id}`,
        log: `${tag}:log`,
      };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(experiment, keys);
    }
    return keys;
  }
}
