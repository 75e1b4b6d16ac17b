// Where the Redis store keeps things. Every key of an experiment carries the hash tag {<experiment>}, so
// they share one Redis Cluster slot and one script call can touch all of them (each call declares every
// key it may touch, so a slot being migrated between masters is answered ASK or TRYAGAIN, never half-seen).
//
//   <prefix>:{<e>}:meta              hash: epoch (changes when the keys were lost), schema (2)
//   <prefix>:{<e>}:seen:<event id>   string with TTL: an event_id already counted (dedup window)
//   <prefix>:{<e>}:log               stream: first exposures, multiple-arm sightings, applied outcomes
//   <prefix>:{<e>}:p<n>:stats        hash: totals of phase n (see ../stat-fields.ts)
//   <prefix>:{<e>}:p<n>:daily        hash: `<day>|<field>` → that day's change
//   <prefix>:{<e>}:p<n>:arm          hash: user → first arm
//   <prefix>:{<e>}:p<n>:multi        set: users seen in more than one arm
//   <prefix>:{<e>}:p<n>:v:<metric>   hash: user → running value ("sum" or, for means, "sum,count")
//   <prefix>:{<e>}:p<n>:held         hash: user → JSON list of outcomes waiting for the user's exposure
//   <prefix>:{<e>}:p<n>:held-due     sorted set: user → earliest end of grace, ms (server clock)
//   <prefix>:{<e>}:p<n>:hw           hash: writer → "<generation>:<sequence>" of the last event applied

/** Keys of abgate v1 (before phases), read once by the migration. */
export interface V1Keys {
  readonly arm: string;
  readonly multiArm: string;
  readonly stats: string;
  readonly valuesPrefix: string;
}

export class KeyLayout {
  /** @param prefix first part of every key. @default "abgate" */
  constructor(readonly prefix = 'abgate') {}

  experimentBase(experiment: string): string {
    return `${this.prefix}:{${experiment}}:`;
  }

  phaseBase(experiment: string, phase: number): string {
    return `${this.prefix}:{${experiment}}:p${phase}:`;
  }

  stats(experiment: string, phase: number): string {
    return `${this.phaseBase(experiment, phase)}stats`;
  }

  daily(experiment: string, phase: number): string {
    return `${this.phaseBase(experiment, phase)}daily`;
  }

  held(experiment: string, phase: number): string {
    return `${this.phaseBase(experiment, phase)}held`;
  }

  heldDue(experiment: string, phase: number): string {
    return `${this.phaseBase(experiment, phase)}held-due`;
  }

  arm(experiment: string, phase: number): string {
    return `${this.phaseBase(experiment, phase)}arm`;
  }

  multiArm(experiment: string, phase: number): string {
    return `${this.phaseBase(experiment, phase)}multi`;
  }

  values(experiment: string, phase: number, metric: string): string {
    return `${this.phaseBase(experiment, phase)}v:${metric}`;
  }

  hw(experiment: string, phase: number): string {
    return `${this.phaseBase(experiment, phase)}hw`;
  }

  seen(experiment: string, eventId: string): string {
    return `${this.experimentBase(experiment)}seen:${eventId}`;
  }

  meta(experiment: string): string {
    return `${this.experimentBase(experiment)}meta`;
  }

  log(experiment: string): string {
    return `${this.experimentBase(experiment)}log`;
  }

  v1(experiment: string): V1Keys {
    const base = this.experimentBase(experiment);
    return {
      arm: `${base}arm`,
      multiArm: `${base}multi-arm`,
      stats: `${base}stats`,
      valuesPrefix: `${base}values:`,
    };
  }
}
