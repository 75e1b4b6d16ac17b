// The experiments a gateway serves, live: experiment files overlaid with the shared live state, compiled
// into immutable snapshots (ExperimentCatalog) that are swapped whole on every change. The hot path reads
// `current()` from memory; a request keeps the snapshot it started with.
//
// Changes come from three places, all funnelled through `sync()` and `change()`:
// - the API (or an in-process driver): `change(id, patch, { actor, reason, ifMatch })`, a compare-and-set
//   on the backend, so concurrent changes with the same If-Match have exactly one winner;
// - other gateways: a notification from the backend, plus a periodic version check that heals a missed one;
// - the experiment files: `reloadFiles()` (folder watch, SIGHUP), merged field by field (lifecycle.ts).
// A bad file keeps the previous definition serving and is reported (status(), metric, log).
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import type { LoadedExperiment } from '../config/load-experiments.js';
import {
  applyPatch,
  changedFields,
  conflictsOf,
  initialState,
  isRouted,
  LifecycleError,
  mergeFile,
  viewOf,
  type Conflict,
  type FileValues,
  type HistoryEntry,
  type LiveState,
  type StatePatch,
} from '../core/lifecycle.js';
import { ExperimentCatalog } from '../routing/catalog.js';
import { compileExperiment, type CompiledExperiment } from '../routing/compiled-experiment.js';
import { ControlError } from './control-error.js';
import { effectiveDefinition, fileValuesOf } from './effective-definition.js';
import { scanExperimentFolder, type FileProblems, type FolderScan } from './experiment-folder.js';
import type { LiveStateBackend } from './live-backend.js';

export interface RegistryOptions {
  readonly backend: LiveStateBackend;
  readonly logger: Logger;
  /** Wall clock (ms since the epoch). @default Date.now */
  readonly now?: () => number;
  /**
   * Period of the version check against the backend, which heals a missed notification and retries
   * what could not be written while the backend was away; 0 turns it off. @default 1000
   */
  readonly checkIntervalMs?: number;
  /** Quiet time after a change in the watched folder before it is read. @default 100 */
  readonly watchDebounceMs?: number;
}

export interface ChangeOptions {
  /** Who asks, as recorded in the history: a token label or a driver's name; never a token. */
  readonly actor: string;
  readonly reason?: string | null;
  /** Apply only if the current version is this one (else `version_mismatch`). */
  readonly ifMatch?: number;
}

export interface ChangeResult {
  readonly state: LiveState;
  /** False when the change changed nothing (no new version, no history entry). */
  readonly changed: boolean;
}

interface Entry {
  loaded: LoadedExperiment;
  fileValues: FileValues;
  /** Last known live state; version 0 while it was never read from (or written to) the backend. */
  state: LiveState;
  /** The file still has to be merged into the backend's state. */
  pendingFile: boolean;
  compiled: CompiledExperiment;
  /** What `compiled` was built from, to know when to build it again. */
  compiledFrom: { loaded: LoadedExperiment; state: LiveState };
  problems: string[];
  /** Set when another experiment holds this one's route. */
  routeProblem: string | undefined;
}

export interface ExperimentLiveStatus {
  readonly version: number;
  readonly status: string;
  readonly traffic: number;
  readonly phase: number;
  /** The live state was read from or written to the backend (false: serving the file's values). */
  readonly synced: boolean;
  readonly file: string;
  readonly file_hash: string;
  /** Where the live state differs from this gateway's file (the live change wins). */
  readonly conflicts: readonly Conflict[];
  readonly problems: readonly string[];
}

/** An experiment's live state as the API shows it. */
export interface LiveView {
  readonly version: number;
  readonly status: string;
  readonly status_since: string | null;
  readonly traffic: number;
  readonly weights: Readonly<Record<string, number>>;
  readonly winner: string | null;
  readonly phase: number;
  readonly phase_started_at: string | null;
  readonly phases: readonly {
    phase: number;
    started_at: string;
    weights: Readonly<Record<string, number>>;
  }[];
  readonly updated_at: string | null;
  /** False while this gateway could not read the live state yet (it serves the file's values). */
  readonly synced: boolean;
  readonly file: string;
  readonly file_hash: string;
  readonly conflicts: readonly Conflict[];
}

export interface LiveStatus {
  readonly backend: 'memory' | 'redis';
  readonly connected: boolean;
  readonly last_check_at: string | null;
  readonly error: string | null;
  readonly file_errors: readonly (FileProblems & { since: string })[];
  readonly experiments: Readonly<Record<string, ExperimentLiveStatus>>;
}

/** Most rounds of read-modify-write when other gateways keep changing the same experiment. */
const MAX_ROUNDS = 10;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class ExperimentRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly fileErrors = new Map<string, { problems: readonly string[]; since: number }>();
  private snapshot = new ExperimentCatalog([]);
  private readonly now: () => number;
  private readonly backend: LiveStateBackend;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private checking: Promise<void> | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private lastCheckAt: number | undefined;
  private lastError: string | undefined;
  private closed = false;

  private constructor(private readonly options: RegistryOptions) {
    this.now = options.now ?? Date.now;
    this.backend = options.backend;
    this.logger = options.logger;
  }

  /**
   * A registry serving `files`, synced with the backend (a file changed since it was last applied is
   * merged now). When the backend cannot be reached, it serves the files and keeps trying.
   */
  static async create(
    files: readonly LoadedExperiment[],
    options: RegistryOptions,
  ): Promise<ExperimentRegistry> {
    const registry = new ExperimentRegistry(options);
    for (const loaded of files) registry.entries.set(loaded.definition.id, registry.newEntry(loaded));
    registry.rebuild();
    // Not awaited: without a connection the subscription waits, and the gateway starts from its files.
    registry.backend
      .subscribe(
        (id, version) => registry.onNotification(id, version),
        () => void registry.check(),
      )
      .catch((err: unknown) =>
        registry.logger.warn({ error: message(err) }, 'cannot subscribe to live state changes'),
      );
    await registry.syncAll();
    const interval = options.checkIntervalMs ?? 1000;
    if (interval > 0) {
      registry.timer = setInterval(() => void registry.check(), interval);
      registry.timer.unref();
    }
    return registry;
  }

  /** The current snapshot. Read it once per request and keep using that one. */
  current(): ExperimentCatalog {
    return this.snapshot;
  }

  /** Last known live state of an experiment. */
  state(id: string): LiveState | undefined {
    return this.entries.get(id)?.state;
  }

  /** The live state of `id` as the API shows it (undefined for an unknown experiment). */
  view(id: string): LiveView | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    const s = e.state;
    const synced = s.version > 0;
    const iso = (ms: number) => (synced ? new Date(ms).toISOString() : null);
    const current = s.phases[s.phases.length - 1]!;
    return {
      version: s.version,
      status: s.status,
      status_since: iso(s.statusSince),
      traffic: s.traffic,
      weights: s.weights,
      winner: s.winner,
      phase: current.phase,
      phase_started_at: iso(current.startedAt),
      phases: s.phases.map((p) => ({
        phase: p.phase,
        started_at: new Date(p.startedAt).toISOString(),
        weights: p.weights,
      })),
      updated_at: iso(s.updatedAt),
      synced,
      file: e.loaded.file,
      file_hash: e.fileValues.hash,
      conflicts: conflictsOf(s, e.fileValues),
    };
  }

  /**
   * Changes an experiment's live state (status, traffic, weights, winner) for every gateway. Resolves
   * with the new state (or the unchanged one when the change changes nothing); throws ControlError.
   */
  async change(id: string, patch: StatePatch, options: ChangeOptions): Promise<ChangeResult> {
    const entry = this.entries.get(id);
    if (!entry) throw new ControlError('not_found', `no experiment "${id}"`);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const stored = await this.unavailableOnError(() => this.backend.read(id));
      if (!stored || stored.version < entry.state.version) {
        // Not stored yet (or the store lost it): put this gateway's view in place, then change it.
        await this.unavailableOnError(() => this.sync(id));
        continue;
      }
      if (options.ifMatch !== undefined && stored.version !== options.ifMatch) {
        this.accept(id, stored);
        throw new ControlError(
          'version_mismatch',
          `experiment "${id}" is at version ${stored.version}, not ${options.ifMatch}: it was changed meanwhile; read it again and retry`,
          stored.version,
        );
      }
      let next: LiveState;
      try {
        next = applyPatch(stored, patch, Object.keys(entry.fileValues.weights), this.now());
      } catch (err) {
        if (err instanceof LifecycleError) throw new ControlError(err.kind, err.message, stored.version);
        throw err;
      }
      if (next === stored) {
        this.accept(id, stored);
        return { state: stored, changed: false };
      }
      this.checkRoute(id, entry, next);
      const record: HistoryEntry = {
        experiment: id,
        version: next.version,
        at: next.updatedAt,
        actor: options.actor,
        source: 'api',
        reason: options.reason ?? null,
        before: viewOf(stored),
        after: viewOf(next),
        changes: changedFields(viewOf(stored), viewOf(next)),
      };
      const result = await this.unavailableOnError(() =>
        this.backend.compareAndSet(id, stored.version, next, record),
      );
      if (result.ok) {
        this.accept(id, next);
        this.logger.info(
          {
            experiment: id,
            version: next.version,
            actor: options.actor,
            reason: options.reason,
            changes: record.changes,
          },
          'experiment changed',
        );
        return { state: next, changed: true };
      }
      if (options.ifMatch !== undefined) {
        throw new ControlError(
          'version_mismatch',
          `experiment "${id}" was changed by someone else first (now version ${result.version}); read it again and retry`,
          result.version,
        );
      }
    }
    throw new ControlError('unavailable', `experiment "${id}" keeps changing under this request; try again`);
  }

  /** Every change of an experiment, oldest first; version 1 is the load from its file. */
  async history(id: string): Promise<HistoryEntry[]> {
    if (!this.entries.has(id)) throw new ControlError('not_found', `no experiment "${id}"`);
    return this.unavailableOnError(() => this.backend.history(id));
  }

  /**
   * Applies a new reading of the experiments folder: new and changed files are merged into the live
   * state, a bad file keeps its previous definition (and is reported), a removed file stops serving.
   */
  async reloadFiles(scan: FolderScan): Promise<void> {
    const now = this.now();
    const next = new Map<string, Entry>();
    const errors = new Map<string, readonly string[]>();
    for (const e of scan.errors) errors.set(e.file, e.problems);
    const claimed = new Map<string, string>();
    // Files that already served an id keep it against a newcomer claiming the same id.
    const ordered = [...scan.loaded].sort((a, b) => {
      const aKeeps = this.entries.get(a.definition.id)?.loaded.file === a.file ? 0 : 1;
      const bKeeps = this.entries.get(b.definition.id)?.loaded.file === b.file ? 0 : 1;
      return aKeeps - bKeeps;
    });
    for (const loaded of ordered) {
      const id = loaded.definition.id;
      const other = claimed.get(id);
      if (other !== undefined) {
        errors.set(loaded.file, [`${loaded.file}: id: "${id}" is already defined in ${other}`]);
        continue;
      }
      claimed.set(id, loaded.file);
      const previous = this.entries.get(id);
      const values = fileValuesOf(loaded);
      if (!previous) {
        next.set(id, this.newEntry(loaded));
        this.logger.info({ experiment: id, file: loaded.file }, 'experiment file added');
      } else if (previous.fileValues.hash !== values.hash || previous.loaded.file !== loaded.file) {
        previous.loaded = loaded;
        previous.fileValues = values;
        previous.pendingFile = true;
        next.set(id, previous);
        this.logger.info({ experiment: id, file: loaded.file, hash: values.hash }, 'experiment file changed');
      } else {
        previous.loaded = loaded;
        next.set(id, previous);
      }
    }
    // A file that fails keeps what it served before; when the folder is unreadable, everything stays.
    for (const [id, entry] of this.entries) {
      if (next.has(id)) continue;
      if (!scan.readable || errors.has(entry.loaded.file)) next.set(id, entry);
      else
        this.logger.warn(
          { experiment: id, file: entry.loaded.file },
          'experiment file removed: no longer served',
        );
    }
    this.updateFileErrors(errors, now);
    this.entries.clear();
    for (const loaded of scan.loaded) {
      const e = next.get(loaded.definition.id);
      if (e && e.loaded === loaded) this.entries.set(loaded.definition.id, e);
    }
    for (const [id, e] of next) if (!this.entries.has(id)) this.entries.set(id, e);
    this.rebuild();
    await this.syncAll();
  }

  /** Reads `dir` again and applies it (serialized: one reload at a time, in order). */
  reloadFrom(dir: string): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      if (this.closed) return;
      try {
        await this.reloadFiles(await scanExperimentFolder(dir));
      } catch (err) {
        this.logger.error({ err, dir }, 'reloading the experiments folder failed');
      }
    });
    return this.reloading;
  }

  /** Watches `dir` and reloads it after each burst of changes. */
  watchFolder(dir: string): void {
    if (this.watcher) return;
    const debounce = this.options.watchDebounceMs ?? 100;
    let timer: NodeJS.Timeout | undefined;
    try {
      this.watcher = watch(dir, () => {
        clearTimeout(timer);
        timer = setTimeout(() => void this.reloadFrom(dir), debounce);
      });
      this.watcher.on('error', (err) =>
        this.logger.warn({ err, dir }, 'watching the experiments folder failed; send SIGHUP to reload'),
      );
    } catch (err) {
      this.logger.warn({ err, dir }, 'cannot watch the experiments folder; send SIGHUP to reload');
    }
  }

  /** What /readyz shows: backend health, file errors, and per experiment its version and conflicts. */
  status(): LiveStatus {
    const experiments: Record<string, ExperimentLiveStatus> = {};
    for (const [id, e] of this.entries) {
      experiments[id] = {
        version: e.state.version,
        status: e.state.status,
        traffic: e.state.traffic,
        phase: e.compiled.phase,
        synced: e.state.version > 0,
        file: e.loaded.file,
        file_hash: e.fileValues.hash,
        conflicts: conflictsOf(e.state, e.fileValues),
        problems: e.routeProblem === undefined ? e.problems : [...e.problems, e.routeProblem],
      };
    }
    return {
      backend: this.backend.kind,
      connected: this.backend.connected() && this.lastError === undefined,
      last_check_at: this.lastCheckAt === undefined ? null : new Date(this.lastCheckAt).toISOString(),
      error: this.lastError ?? null,
      file_errors: [...this.fileErrors].map(([file, e]) => ({
        file,
        problems: e.problems,
        since: new Date(e.since).toISOString(),
      })),
      experiments,
    };
  }

  fileErrorCount(): number {
    return this.fileErrors.size;
  }

  conflictCount(): number {
    let n = 0;
    for (const e of this.entries.values()) n += conflictsOf(e.state, e.fileValues).length;
    return n;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.watcher?.close();
    await this.reloading;
    await this.checking;
    await this.backend.close();
  }

  private newEntry(loaded: LoadedExperiment): Entry {
    const fileValues = fileValuesOf(loaded);
    const state = { ...initialState(loaded.definition.id, fileValues, this.now()), version: 0 };
    return {
      loaded,
      fileValues,
      state,
      pendingFile: true,
      compiled: compileExperiment(effectiveDefinition(loaded.definition, state), state),
      compiledFrom: { loaded, state },
      problems: [],
      routeProblem: undefined,
    };
  }

  private async unavailableOnError<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ControlError) throw err;
      this.lastError = message(err);
      throw new ControlError(
        'unavailable',
        `the live state store (${this.backend.kind}) cannot be reached: ${message(err)}; try again shortly`,
        undefined,
        { cause: err },
      );
    }
  }

  /** Starting `next` must not route a path another served experiment holds. */
  private checkRoute(id: string, entry: Entry, next: LiveState): void {
    if (!isRouted(next.status)) return;
    const path = entry.loaded.definition.route.path;
    for (const [otherId, other] of this.entries) {
      if (otherId === id || other.loaded.definition.route.path !== path) continue;
      if (isRouted(other.state.status)) {
        throw new ControlError(
          'route_conflict',
          `route ${path} is served by experiment "${otherId}" (${other.state.status}); conclude, roll back or remove it first`,
        );
      }
    }
  }

  private updateFileErrors(errors: ReadonlyMap<string, readonly string[]>, now: number): void {
    for (const [file, problems] of errors) {
      const known = this.fileErrors.get(file);
      if (known && known.problems.join('\n') === problems.join('\n')) continue;
      this.fileErrors.set(file, { problems, since: known?.since ?? now });
      this.logger.error(
        { file, problems },
        'experiment file is invalid; the previous definition keeps serving until it is fixed',
      );
    }
    for (const file of [...this.fileErrors.keys()]) {
      if (errors.has(file)) continue;
      this.fileErrors.delete(file);
      this.logger.info({ file }, 'experiment file is valid again');
    }
  }

  private onNotification(id: string, version: number): void {
    const entry = this.entries.get(id);
    if (!entry || entry.state.version === version) return;
    this.sync(id).catch((err: unknown) => {
      this.lastError = message(err);
    });
  }

  /** Compares versions with the backend and syncs whatever differs or is pending. */
  private check(): Promise<void> {
    if (this.checking || this.closed) return this.checking ?? Promise.resolve();
    this.checking = (async () => {
      try {
        const ids = [...this.entries.keys()];
        const versions = await this.backend.readVersions(ids);
        let failure: unknown;
        for (const id of ids) {
          const e = this.entries.get(id);
          if (!e || !(e.pendingFile || versions.get(id) !== e.state.version)) continue;
          // One experiment that cannot be synced (e.g. a corrupt stored state) does not hold up the rest.
          await this.sync(id).catch((err: unknown) => (failure ??= err));
        }
        if (failure !== undefined) throw failure;
        this.lastCheckAt = this.now();
        this.lastError = undefined;
      } catch (err) {
        if (this.lastError === undefined) {
          this.logger.warn(
            { error: message(err) },
            'live state store unreachable: serving the last known state',
          );
        }
        this.lastError = message(err);
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  private async syncAll(): Promise<void> {
    const results = await Promise.allSettled([...this.entries.keys()].map((id) => this.sync(id)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      this.lastError = message(failed.reason);
      this.logger.warn(
        { error: this.lastError },
        'live state store unreachable: serving from the experiment files until it answers',
      );
    } else {
      this.lastCheckAt = this.now();
      this.lastError = undefined;
    }
  }

  /**
   * Brings one experiment in line with the backend: reads its state; writes the first state from the
   * file, a file change (merged), or this gateway's copy when the store lost it; then applies the result.
   */
  private async sync(id: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const entry = this.entries.get(id);
      if (!entry || this.closed) return;
      const stored = await this.backend.read(id);
      const now = this.now();
      let next: LiveState;
      let record: HistoryEntry;
      if (!stored || stored.version < entry.state.version) {
        if (entry.state.version > 0) {
          // The store lost this experiment's state (flushed, failed over without persistence): put back
          // the last state this gateway knew rather than start over from the file.
          next = {
            ...entry.state,
            version: Math.max(entry.state.version, stored?.version ?? 0) + 1,
            updatedAt: now,
          };
          record = this.entryFor(
            id,
            next,
            entry.state,
            'restore',
            'gateway',
            'the store had lost this state (or held an older one); restored from a gateway',
          );
        } else {
          next = initialState(id, entry.fileValues, now);
          record = this.entryFor(id, next, null, 'file', 'file', `loaded from ${entry.fileValues.file}`);
          record = { ...record, file: { file: entry.fileValues.file, hash: entry.fileValues.hash } };
        }
      } else if (entry.pendingFile) {
        next = mergeFile(stored, entry.fileValues, now);
        if (next === stored) {
          entry.pendingFile = false;
          this.accept(id, stored);
          return;
        }
        const conflicts = conflictsOf(next, entry.fileValues);
        record = {
          ...this.entryFor(id, next, stored, 'file', 'file', `file ${entry.fileValues.file} changed`),
          file: { file: entry.fileValues.file, hash: entry.fileValues.hash },
          ...(conflicts.length > 0 ? { conflicts } : {}),
        };
        if (conflicts.length > 0) {
          this.logger.warn(
            { experiment: id, conflicts },
            'experiment file changed but differs from live changes it did not touch; the live values stay',
          );
        }
      } else {
        this.accept(id, stored);
        return;
      }
      const result = await this.backend.compareAndSet(id, stored?.version ?? 0, next, record);
      if (result.ok) {
        if (record.source === 'file') entry.pendingFile = false;
        this.accept(id, next);
        // Done, unless a restore was written and the file still has a change to merge.
        if (!entry.pendingFile) return;
      }
      // Otherwise someone else wrote first: look again.
    }
  }

  private entryFor(
    id: string,
    next: LiveState,
    before: LiveState | null,
    source: HistoryEntry['source'],
    actor: string,
    reason: string,
  ): HistoryEntry {
    const after = viewOf(next);
    const prior = before ? viewOf(before) : null;
    const changes = changedFields(prior, after);
    if (source === 'file' && before !== null) changes.push('file');
    return {
      experiment: id,
      version: next.version,
      at: next.updatedAt,
      actor,
      source,
      reason,
      before: prior,
      after,
      changes,
    };
  }

  /** Makes `state` the one this gateway serves (never going back to an older version). */
  private accept(id: string, state: LiveState): void {
    const entry = this.entries.get(id);
    if (!entry || state === entry.state || state.version < entry.state.version) return;
    entry.state = state;
    this.rebuild();
  }

  private recompile(entry: Entry): void {
    const problems: string[] = [];
    const def = effectiveDefinition(entry.loaded.definition, entry.state);
    if (def.winner !== undefined && !def.arms.some((a) => a.name === def.winner)) {
      problems.push(`winner "${def.winner}" is not an arm in ${entry.loaded.file}; serving control`);
    }
    try {
      entry.compiled = compileExperiment(def, entry.state);
    } catch (err) {
      problems.push(`live weights do not fit the file's arms (${message(err)}); serving the file's weights`);
      entry.compiled = compileExperiment({ ...def, arms: entry.loaded.definition.arms }, entry.state);
    }
    entry.problems = problems;
    entry.compiledFrom = { loaded: entry.loaded, state: entry.state };
  }

  /** Compiles what changed and swaps in a new snapshot. */
  private rebuild(): void {
    for (const e of this.entries.values()) {
      if (e.compiledFrom.loaded !== e.loaded || e.compiledFrom.state !== e.state) this.recompile(e);
    }
    const catalog = new ExperimentCatalog([...this.entries.values()].map((e) => e.compiled));
    for (const e of this.entries.values()) {
      const path = e.loaded.definition.route.path;
      const owner = catalog.routes.owner(path);
      const problem =
        isRouted(e.state.status) && owner && owner.id !== e.compiled.id
          ? `route ${path} is already served by "${owner.id}"; this experiment is not served`
          : undefined;
      if (problem !== undefined && problem !== e.routeProblem) {
        this.logger.error({ experiment: e.compiled.id, file: e.loaded.file }, problem);
      }
      e.routeProblem = problem;
    }
    this.snapshot = catalog;
  }
}
