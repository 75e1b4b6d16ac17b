// One contract for every LiveStateBackend: run by memory-live-backend.test.ts and redis-live-backend.test.ts.
import { describe, expect, it } from 'vitest';
import { initialState, type HistoryEntry, type LiveState, viewOf } from '../../src/core/lifecycle.js';
import type { LiveStateBackend } from '../../src/control/live-backend.js';

export interface BackendPair {
  /** Two handles on the same shared state (two gateways); the same object twice for in-process backends. */
  readonly a: LiveStateBackend;
  readonly b: LiveStateBackend;
  close(): Promise<void>;
}

let counter = 0;
/** An experiment id no other case uses. */
export const freshId = () => `exp-${process.pid}-${++counter}`;

export function stateOf(id: string, version = 1, traffic = 10): LiveState {
  const s = initialState(
    id,
    {
      hash: 'h',
      file: `${id}.yaml`,
      status: 'running',
      traffic,
      weights: { control: 1, treatment: 1 },
      winner: null,
      salt: id,
      hashVersion: 1,
    },
    1_700_000_000_000,
  );
  return { ...s, version, traffic };
}

export function entryOf(state: LiveState, actor = 'test'): HistoryEntry {
  return {
    experiment: state.experiment,
    version: state.version,
    at: state.updatedAt,
    actor,
    source: 'api',
    reason: `to version ${state.version}`,
    before: null,
    after: viewOf(state),
    changes: ['traffic'],
  };
}

/** Resolves once `predicate` holds, polling; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function liveBackendContract(name: string, open: () => Promise<BackendPair>): void {
  describe(`LiveStateBackend contract: ${name}`, () => {
    it('has nothing for an unknown experiment', async () => {
      const { a, close } = await open();
      try {
        const id = freshId();
        expect(await a.read(id)).toBeUndefined();
        expect(await a.readVersions([id])).toEqual(new Map([[id, 0]]));
        expect(await a.history(id)).toEqual([]);
      } finally {
        await close();
      }
    });

    it('writes only over the expected version, and both handles see the write', async () => {
      const { a, b, close } = await open();
      try {
        const id = freshId();
        const v1 = stateOf(id, 1);
        expect(await a.compareAndSet(id, 0, v1, entryOf(v1))).toEqual({ ok: true });
        expect(await b.read(id)).toEqual(v1);
        expect(await b.compareAndSet(id, 0, v1, entryOf(v1))).toEqual({ ok: false, version: 1 });
        const v2 = stateOf(id, 2, 50);
        expect(await b.compareAndSet(id, 1, v2, entryOf(v2))).toEqual({ ok: true });
        expect(await a.compareAndSet(id, 1, stateOf(id, 2, 70), entryOf(v2))).toEqual({
          ok: false,
          version: 2,
        });
        expect(await a.read(id)).toEqual(v2);
        expect(await a.readVersions([id, freshId()])).toEqual(
          new Map([
            [id, 2],
            [expect.any(String), 0],
          ]),
        );
      } finally {
        await close();
      }
    });

    it('lets exactly one of many concurrent writers with the same expected version win', async () => {
      const { a, b, close } = await open();
      try {
        const id = freshId();
        const v1 = stateOf(id, 1);
        await a.compareAndSet(id, 0, v1, entryOf(v1));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => {
            const next = stateOf(id, 2, i);
            return (i % 2 ? a : b).compareAndSet(id, 1, next, entryOf(next, `w${i}`));
          }),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        const winner = results.findIndex((r) => r.ok);
        expect((await a.read(id))?.traffic).toBe(winner);
        const history = await b.history(id);
        expect(history.map((h) => h.actor)).toEqual(['test', `w${winner}`]);
      } finally {
        await close();
      }
    });

    it('keeps the history oldest first', async () => {
      const { a, b, close } = await open();
      try {
        const id = freshId();
        for (let v = 1; v <= 5; v++) {
          const s = stateOf(id, v, v * 10);
          expect((await (v % 2 ? a : b).compareAndSet(id, v - 1, s, entryOf(s))).ok).toBe(true);
        }
        const history = await a.history(id);
        expect(history.map((h) => h.version)).toEqual([1, 2, 3, 4, 5]);
        expect(history[4]).toEqual(entryOf(stateOf(id, 5, 50)));
      } finally {
        await close();
      }
    });

    it('notifies subscribers of every handle after a write', async () => {
      const { a, b, close } = await open();
      try {
        const id = freshId();
        const seenA: [string, number][] = [];
        const seenB: [string, number][] = [];
        await a.subscribe((e, v) => seenA.push([e, v]));
        await b.subscribe((e, v) => seenB.push([e, v]));
        const s = stateOf(id, 1);
        await a.compareAndSet(id, 0, s, entryOf(s));
        await until(
          () => seenA.some(([e, v]) => e === id && v === 1) && seenB.some(([e, v]) => e === id && v === 1),
        );
      } finally {
        await close();
      }
    });
  });
}
