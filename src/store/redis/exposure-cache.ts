// Skips exposure writes that cannot change anything: a user this process already sent in the same arm of
// the same experiment phase (first exposure wins in Redis, so a repeat is a no-op there). A bounded LRU.
// Forgotten per experiment when Redis lost that experiment's keys, and entirely whenever the connection
// closes (a Redis restarted without persistence or failed over may be noticed late, or never by the
// epoch: the users cached before would never be exposed again), so returning users are exposed again.

export class ExposureCache {
  /** `<experiment>\0<phase>\0<user>` → [arm, generation of the experiment's entries]. */
  private readonly entries = new Map<string, readonly [string, number]>();
  /** Bumped by forget(): older entries of the experiment no longer count. */
  private readonly generations = new Map<string, number>();

  /** @param maxEntries most (experiment, phase, user) entries; the least recently seen go first. */
  constructor(private readonly maxEntries = 100_000) {}

  /** True when this exposure was already sent (and refreshes it); otherwise remembers it and returns false. */
  seen(experiment: string, phase: number, user: string, arm: string): boolean {
    const key = `${experiment}\u0000${phase}\u0000${user}`;
    const generation = this.generations.get(experiment) ?? 0;
    const entry = this.entries.get(key);
    if (entry !== undefined) this.entries.delete(key);
    if (entry !== undefined && entry[0] === arm && entry[1] === generation) {
      this.entries.set(key, entry); // most recently seen last
      return true;
    }
    // A different arm always goes through: the store detects users seen in several arms.
    this.entries.set(key, [arm, generation]);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return false;
  }

  /** Forgets every user of `experiment` (its data was lost in Redis). O(1). */
  forget(experiment: string): void {
    this.generations.set(experiment, (this.generations.get(experiment) ?? 0) + 1);
  }

  /** Forgets everything (the connection closed: whatever Redis comes back may have lost it). */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
