// The registry with the in-memory backend: snapshots, changes and their typed errors, file reloads.
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlError } from '../../src/control/control-error.js';
import { MemoryLiveBackend } from '../../src/control/memory-live-backend.js';
import { ExperimentRegistry } from '../../src/control/registry.js';
import { loadExperiments } from '../../src/config/load-experiments.js';
import { experimentsFrom } from '../helpers/gateway.js';
import { twoArmExperiment } from '../helpers/experiments.js';

const logger = pino({ level: 'silent' });
const T0 = 1_700_000_000_000;
let clock = T0;
const now = () => clock;
const open: ExperimentRegistry[] = [];

async function registry(docs: unknown[], backend = new MemoryLiveBackend()) {
  const r = await ExperimentRegistry.create(experimentsFrom(docs), {
    backend,
    logger,
    now,
    checkIntervalMs: 0,
  });
  open.push(r);
  return r;
}

async function refusal(p: Promise<unknown>): Promise<ControlError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ControlError) return err;
    throw err;
  }
  throw new Error('expected a ControlError');
}

afterEach(async () => {
  clock = T0;
  await Promise.all(open.splice(0).map((r) => r.close()));
});

describe('ExperimentRegistry', () => {
  it('loads files as version 1, with the load as the first history entry', async () => {
    const r = await registry([twoArmExperiment('a', undefined, { traffic: 10 })]);
    const exp = r.current().byId.get('a')!;
    expect(exp.live).toMatchObject({ version: 1, status: 'running', traffic: 10 });
    expect(exp.phase).toBe(1);
    expect(await r.history('a')).toEqual([
      expect.objectContaining({
        version: 1,
        actor: 'file',
        source: 'file',
        before: null,
        reason: 'loaded from test-0.yaml',
      }),
    ]);
  });

  it('swaps in a new snapshot on a change and leaves the old one as it was (in-flight requests)', async () => {
    const r = await registry([twoArmExperiment('a', undefined, { traffic: 10 })]);
    const before = r.current();
    clock = T0 + 5_000;
    const { state, changed } = await r.change('a', { traffic: 50 }, { actor: 'ops', reason: 'ramp' });
    expect(changed).toBe(true);
    expect(state).toMatchObject({ version: 2, traffic: 50, updatedAt: T0 + 5_000 });
    expect(r.current()).not.toBe(before);
    expect(r.current().byId.get('a')!.definition.traffic).toBe(50);
    expect(r.current().routes.match('/a')!.experiment.allocation.trafficCutoff).toBe(5000);
    expect(before.byId.get('a')!.definition.traffic).toBe(10);
    const history = await r.history('a');
    expect(history[1]).toEqual({
      experiment: 'a',
      version: 2,
      at: T0 + 5_000,
      actor: 'ops',
      source: 'api',
      reason: 'ramp',
      before: {
        status: 'running',
        traffic: 10,
        weights: { control: 1, treatment: 1 },
        winner: null,
        phase: 1,
      },
      after: {
        status: 'running',
        traffic: 50,
        weights: { control: 1, treatment: 1 },
        winner: null,
        phase: 1,
      },
      changes: ['traffic'],
    });
  });

  it('answers a change that changes nothing without a new version or history entry', async () => {
    const r = await registry([twoArmExperiment('a')]);
    const { state, changed } = await r.change('a', { status: 'running', traffic: 100 }, { actor: 'ops' });
    expect(changed).toBe(false);
    expect(state.version).toBe(1);
    expect(await r.history('a')).toHaveLength(1);
  });

  it('refuses with typed errors and changes nothing', async () => {
    const r = await registry([twoArmExperiment('a')]);
    const cases: [Promise<unknown>, string][] = [
      [r.change('nope', { traffic: 5 }, { actor: 'x' }), 'not_found'],
      [r.change('a', { traffic: 500 }, { actor: 'x' }), 'invalid_value'],
      [r.change('a', { status: 'concluded' }, { actor: 'x' }), 'invalid_value'],
      [r.change('a', { status: 'draft' }, { actor: 'x' }), 'invalid_transition'],
      [r.change('a', { weights: { other: 1 } }, { actor: 'x' }), 'unknown_arm'],
      [r.change('a', { traffic: 5 }, { actor: 'x', ifMatch: 7 }), 'version_mismatch'],
    ];
    for (const [p, kind] of cases) expect((await refusal(p)).kind).toBe(kind);
    expect(r.state('a')!.version).toBe(1);
    expect(await r.history('a')).toHaveLength(1);
    await expect(r.history('nope')).rejects.toThrow(ControlError);
  });

  it('lets exactly one of concurrent changes with the same If-Match win', async () => {
    const r = await registry([twoArmExperiment('a')]);
    const results = await Promise.allSettled(
      [10, 20, 30, 40, 50].map((traffic) =>
        r.change('a', { traffic }, { actor: `op${traffic}`, ifMatch: 1 }),
      ),
    );
    const won = results.filter((x) => x.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const x of results) {
      if (x.status === 'rejected')
        expect(x.reason).toMatchObject({ kind: 'version_mismatch', currentVersion: 2 });
    }
    expect(r.state('a')!.version).toBe(2);
  });

  it('refuses to start an experiment on a route another one serves', async () => {
    const r = await registry([
      twoArmExperiment('a', undefined, { route: { path: '/shared' } }),
      twoArmExperiment('b', undefined, { route: { path: '/shared' }, status: 'draft' }),
    ]);
    expect(await refusal(r.change('b', { status: 'running' }, { actor: 'x' }))).toMatchObject({
      kind: 'route_conflict',
      message: expect.stringContaining('route /shared is served by experiment "a"'),
    });
    await r.change('a', { status: 'rolled_back' }, { actor: 'x' });
    // Rolled back still serves the route (control for everyone): b still may not start.
    expect((await refusal(r.change('b', { status: 'running' }, { actor: 'x' }))).kind).toBe('route_conflict');
  });

  it('serves the winner after conclusion, with a phase that stops collecting', async () => {
    const r = await registry([
      twoArmExperiment('a', undefined, { metrics: [{ name: 'click', type: 'binomial' }] }),
    ]);
    expect(r.current().targetsFor('click')).toEqual([{ experiment: 'a', phase: 1, metricType: 'binomial' }]);
    await r.change('a', { status: 'concluded', winner: 'treatment' }, { actor: 'x' });
    const exp = r.current().routes.match('/a')!.experiment;
    expect(exp.definition).toMatchObject({ status: 'concluded', winner: 'treatment' });
    expect(exp.winnerIndex).toBe(1);
    expect(r.current().targetsFor('click')).toEqual([]);
  });

  it('starts a new phase when weights change while running; outcome targets follow it', async () => {
    const r = await registry([
      twoArmExperiment('a', undefined, { metrics: [{ name: 'click', type: 'binomial' }] }),
    ]);
    clock = T0 + 60_000;
    await r.change('a', { weights: { treatment: 3 } }, { actor: 'x' });
    const exp = r.current().byId.get('a')!;
    expect(exp.phase).toBe(2);
    expect(exp.allocation.upperBounds).toEqual([2500, 10_000]);
    expect(r.current().targetsFor('click')).toEqual([{ experiment: 'a', phase: 2, metricType: 'binomial' }]);
    expect(r.view('a')).toMatchObject({
      phase: 2,
      phase_started_at: new Date(T0 + 60_000).toISOString(),
      phases: [
        { phase: 1, weights: { control: 1, treatment: 1 } },
        { phase: 2, weights: { control: 1, treatment: 3 } },
      ],
    });
  });

  it('keeps live state across a restart (a new registry on the same backend)', async () => {
    const backend = new MemoryLiveBackend();
    const docs = [twoArmExperiment('a', undefined, { traffic: 10 })];
    const first = await registry(docs, backend);
    await first.change('a', { traffic: 50 }, { actor: 'x' });
    await first.change('a', { status: 'paused' }, { actor: 'x' });
    const second = await ExperimentRegistry.create(experimentsFrom(docs), {
      backend,
      logger,
      now,
      checkIntervalMs: 0,
    });
    open.push(second);
    expect(second.current().byId.get('a')!.definition).toMatchObject({ status: 'paused', traffic: 50 });
    expect(second.state('a')!.version).toBe(3);
  });

  it('applies a change made through another registry (another gateway) when notified', async () => {
    const backend = new MemoryLiveBackend();
    const docs = [twoArmExperiment('a')];
    const one = await registry(docs, backend);
    const two = await registry(docs, backend);
    await one.change('a', { status: 'paused' }, { actor: 'x' });
    await expect.poll(() => two.current().byId.get('a')!.definition.status).toBe('paused');
  });

  it('merges a file that changed while it was stopped, keeping live changes the file did not touch', async () => {
    const backend = new MemoryLiveBackend();
    const first = await registry([twoArmExperiment('a', undefined, { traffic: 10 })], backend);
    await first.change('a', { traffic: 50 }, { actor: 'ops' });
    const edited = [twoArmExperiment('a', undefined, { traffic: 10, description: 'edited' })];
    const second = await registry(edited, backend);
    expect(second.state('a')).toMatchObject({ version: 3, traffic: 50 });
    expect(second.status().experiments.a!.conflicts).toEqual([{ field: 'traffic', live: 50, file: 10 }]);
    const history = await second.history('a');
    expect(history[2]).toMatchObject({
      source: 'file',
      actor: 'file',
      changes: ['file'],
      conflicts: [{ field: 'traffic', live: 50, file: 10 }],
    });
  });

  it('restores its last known state when the store lost it', async () => {
    const docs = [twoArmExperiment('a', undefined, { traffic: 10 })];
    const r = await registry(docs, new MemoryLiveBackend());
    await r.change('a', { traffic: 40 }, { actor: 'ops' });
    // Swap the store for an empty one: as if Redis restarted without persistence.
    const emptied = new MemoryLiveBackend();
    (r as unknown as { backend: MemoryLiveBackend }).backend = emptied;
    await r.change('a', { status: 'paused' }, { actor: 'ops' });
    expect(await emptied.read('a')).toMatchObject({ version: 4, traffic: 40, status: 'paused' });
    expect((await emptied.history('a')).map((e) => [e.version, e.source])).toEqual([
      [3, 'restore'],
      [4, 'api'],
    ]);
  });
});

describe('ExperimentRegistry file reloads', () => {
  let dir: string;
  const write = (name: string, doc: unknown) =>
    writeFile(join(dir, name), typeof doc === 'string' ? doc : JSON.stringify(doc));

  async function fromDir() {
    const r = await ExperimentRegistry.create(await loadExperiments(dir), {
      backend: new MemoryLiveBackend(),
      logger,
      now,
      checkIntervalMs: 0,
    });
    open.push(r);
    return r;
  }

  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('picks up new, changed and removed files', async () => {
    dir = await mkdtemp(join(tmpdir(), 'abgate-reload-'));
    await write('a.json', twoArmExperiment('a', undefined, { traffic: 10 }));
    const r = await fromDir();
    await write('b.json', twoArmExperiment('b'));
    await write('a.json', twoArmExperiment('a', undefined, { traffic: 30 }));
    await r.reloadFrom(dir);
    expect(r.current().byId.get('a')!.definition.traffic).toBe(30);
    expect(r.current().routes.match('/b')?.experiment.id).toBe('b');
    expect((await r.history('a')).map((e) => [e.version, e.source, e.changes])).toEqual([
      [1, 'file', ['status', 'traffic', 'weights', 'winner', 'phase']],
      [2, 'file', ['traffic', 'file']],
    ]);
    await unlink(join(dir, 'b.json'));
    await r.reloadFrom(dir);
    expect(r.current().byId.has('b')).toBe(false);
    expect(r.current().routes.match('/b')).toBeUndefined();
  });

  it('keeps the previous definition serving while a file is broken, and says so', async () => {
    dir = await mkdtemp(join(tmpdir(), 'abgate-reload-'));
    await write('a.json', twoArmExperiment('a', undefined, { traffic: 10 }));
    const r = await fromDir();
    await write('a.json', '{"id": "a", "status": "running", "route": ');
    await r.reloadFrom(dir);
    expect(r.current().routes.match('/a')?.experiment.definition.traffic).toBe(10);
    expect(r.fileErrorCount()).toBe(1);
    expect(r.status().file_errors).toEqual([
      {
        file: expect.stringContaining('a.json'),
        problems: [expect.stringContaining('not valid JSON')],
        since: expect.any(String),
      },
    ]);
    await write('a.json', twoArmExperiment('a', undefined, { traffic: 10, arms: [] }));
    await r.reloadFrom(dir);
    expect(r.status().file_errors[0]!.problems).toContainEqual(
      expect.stringContaining('arms: needs at least two arms'),
    );
    expect(r.current().routes.match('/a')).toBeDefined();
    await write('a.json', twoArmExperiment('a', undefined, { traffic: 20 }));
    await r.reloadFrom(dir);
    expect(r.fileErrorCount()).toBe(0);
    expect(r.current().byId.get('a')!.definition.traffic).toBe(20);
  });

  it('keeps serving the route with the experiment that has it when an edit starts another on it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'abgate-reload-'));
    await write('a.json', twoArmExperiment('a', undefined, { route: { path: '/p' } }));
    await write('b.json', twoArmExperiment('b', undefined, { route: { path: '/p' }, status: 'draft' }));
    const r = await fromDir();
    await write('b.json', twoArmExperiment('b', undefined, { route: { path: '/p' } }));
    await r.reloadFrom(dir);
    expect(r.current().routes.match('/p')?.experiment.id).toBe('a');
    expect(r.status().experiments.b!.problems).toEqual([
      'route /p is already served by "a"; this experiment is not served',
    ]);
  });

  it('keeps an id with the file that had it when another file claims it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'abgate-reload-'));
    await write('z.json', twoArmExperiment('a', undefined, { traffic: 10 }));
    const r = await fromDir();
    await write('a-copy.json', twoArmExperiment('a', undefined, { traffic: 99 }));
    await r.reloadFrom(dir);
    expect(r.current().byId.get('a')!.definition.traffic).toBe(10);
    expect(r.status().file_errors).toEqual([
      expect.objectContaining({ problems: [expect.stringContaining('id: "a" is already defined in')] }),
    ]);
  });
});
