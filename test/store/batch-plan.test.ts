// The pure half of the Redis write loop: events → one script call per (experiment, phase), and replies →
// which events are acknowledged, with which answer.
import { describe, expect, it } from 'vitest';
import {
  interpretReplies,
  outcomeStatusOf,
  planBatch,
  type CallReply,
  type PlanContext,
} from '../../src/store/redis/batch-plan.js';
import { KeyLayout } from '../../src/store/redis/key-layout.js';
import type { QueuedEvent } from '../../src/store/redis/queued-event.js';

const ctx: PlanContext = {
  keys: new KeyLayout('t'),
  writer: 'w1',
  dedupWindowSeconds: 60,
  graceMs: 1000,
  streamMaxLen: 0,
  epochCandidate: 'e0',
  maxHeldPerUser: 100,
  now: 5,
};

const x = (e: string, u: string, p = 1): QueuedEvent => ({ k: 'x', e, p, a: 'a', u, t: 1 });
const o = (u: string, ...experiments: string[]): QueuedEvent => ({
  k: 'o',
  u,
  m: 'm',
  v: 1,
  t: 2,
  to: experiments.map((e) => ({ e, p: 1, ty: 'c' as const })),
});
const items = (events: QueuedEvent[]) =>
  events.map((event, i) => ({ generation: 3, seq: 10 + i, event, attempts: 0 }));
const ok = (...results: string[]): CallReply => ({ result: ['epoch-1', ...results] });
const fail = (message: string): CallReply => ({
  error: Object.assign(new Error(message), { name: 'ReplyError' }),
});

describe('planBatch', () => {
  it('makes one call per experiment phase, operations in event order, numbered by the journal', () => {
    const events = [x('e1', 'u1'), x('e2', 'u2'), o('u1', 'e1', 'e2'), x('e1', 'u3', 2)];
    const plan = planBatch(items(events), ctx);
    expect(plan.calls.map((c) => [c.experiment, c.phase, c.key])).toEqual([
      ['e1', 1, 't:{e1}:p1:stats'],
      ['e2', 1, 't:{e2}:p1:stats'],
      ['e1', 2, 't:{e1}:p2:stats'],
    ]);
    expect(plan.calls.map((c) => c.opEvents)).toEqual([[0, 2], [1, 2], [3]]);
    expect(plan.eventCalls).toEqual([[0], [1], [0, 1], [2]]);
    // writer, TTLs, bases, then ops carrying (generation, sequence)
    expect(plan.calls[0]!.args.slice(0, 9)).toEqual([
      'w1',
      60,
      1000,
      0,
      'e0',
      't:{e1}:',
      't:{e1}:p1:',
      100,
      5,
    ]);
    expect(plan.calls[0]!.args.slice(9, 16)).toEqual(['x', 3, 10, 'u1', 'a', 1, 0]);
    expect(plan.calls[0]!.args.slice(16, 19)).toEqual(['o', 3, 12]);
  });

  it('sends an outcome without targets nowhere', () => {
    expect(planBatch(items([o('u')]), ctx)).toEqual({ calls: [], eventCalls: [[]] });
  });
});

describe('interpretReplies', () => {
  const events = [x('e1', 'u1'), x('e2', 'u2'), o('u1', 'e1', 'e2'), x('e1', 'u3')];
  const plan = planBatch(items(events), ctx);

  it('acknowledges everything when every call succeeded, with each outcome’s answer', () => {
    const r = interpretReplies(plan, events, [ok('1', 'a', '1'), ok('1', 'h')]);
    expect(r.done).toBe(4);
    expect(r.failure).toBeUndefined();
    expect([...r.outcomes]).toEqual([[2, 'accepted']]);
    expect(r.epochs.get('e1')).toBe('epoch-1');
  });

  it('acknowledges only the prefix before the first event touching a failed call', () => {
    const r = interpretReplies(plan, events, [ok('1', 'a', '1'), fail('OOM command not allowed')]);
    expect(r.done).toBe(1); // event 1 is e2's: held back, and everything after it
    expect(r.failure?.message).toMatch(/OOM/);
    expect(r.outcomes.size).toBe(0);
    const later = interpretReplies(plan, events, [fail('BUSY'), ok('1', 'a')]);
    expect(later.done).toBe(0);
  });

  it('treats a malformed or missing reply as a failed call', () => {
    expect(interpretReplies(plan, events, [{ result: ['e', '1'] }, ok('1', 'a')]).done).toBe(0);
    expect(interpretReplies(plan, events, [ok('1', 'a', '1')]).done).toBe(1);
  });

  it('answers an outcome replayed in every target as queued (applied before, first answer unknown)', () => {
    const r = interpretReplies(plan, events, [ok('s', 's', 's'), ok('s', 's')]);
    expect([...r.outcomes]).toEqual([[2, 'queued']]);
  });
});

describe('outcomeStatusOf', () => {
  it.each([
    [['a', 'u'], 'accepted'],
    [['s', 'd'], 'queued'],
    [['d', 'h'], 'duplicate'],
    [['h', 'u'], 'held'],
    [['u'], 'unattributed'],
    [[], 'unattributed'],
  ] as const)('%j → %s', (letters, status) => {
    expect(outcomeStatusOf(letters)).toBe(status);
  });
});
