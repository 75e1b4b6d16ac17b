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
import { undeclaredKeysOf } from '../../src/store/redis/reply-errors.js';
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
const ratio = { n: 'rev-per-cost', role: 'n' as const, om: 'cost', ot: 'c' as const };
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
    expect(plan.calls.map((c) => [c.experiment, c.phase, c.keys[0]])).toEqual([
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

  it('declares every key a call can touch (Redis Cluster: a migrating slot answers ASK/TRYAGAIN)', () => {
    const events: QueuedEvent[] = [
      x('e1', 'u1'),
      { k: 'o', u: 'u1', m: 'rev', v: 1, id: 'ev 7', t: 2, to: [{ e: 'e1', p: 1, ty: 'c', r: [ratio] }] },
      { k: 'o', u: 'u2', m: 'buy', v: 1, t: 2, to: [{ e: 'e1', p: 1, ty: 'b' }] },
      { k: 'g', e: 'e1', p: 1, a: 'a', u: 'u1', err: 0, lat: 5, n: 1, t: 3 },
    ];
    const learned = ['t:{e1}:p1:v:held-metric'];
    const plan = planBatch(items(events), {
      ...ctx,
      learnedKeys: (e, p) => (e === 'e1' && p === 1 ? learned : []),
    });
    const [call] = plan.calls;
    expect(plan.calls).toHaveLength(1);
    // KEYS[1] routes the call and is the script's stats hash.
    expect(call!.keys[0]).toBe('t:{e1}:p1:stats');
    // Everything apply.lua reads or writes (key-layout.ts), named the way the script names it.
    expect(new Set(call!.keys)).toEqual(
      new Set([
        't:{e1}:p1:stats',
        't:{e1}:p1:daily',
        't:{e1}:p1:arm',
        't:{e1}:p1:multi',
        't:{e1}:p1:held',
        't:{e1}:p1:held-due',
        't:{e1}:p1:hw',
        't:{e1}:meta',
        't:{e1}:log',
        't:{e1}:arm', // v1 probes, when the experiment has no epoch yet
        't:{e1}:stats',
        't:{e1}:p1:v:rev', // the outcome's metric and its ratio partner
        't:{e1}:p1:v:cost',
        't:{e1}:seen:ev 7', // only outcomes with an event id have a marker
        't:{e1}:p1:v:buy',
        't:{e1}:p1:v:abgate_errors', // a guardrail observation's two metrics
        't:{e1}:p1:v:abgate_latency_ms',
        't:{e1}:p1:v:held-metric', // learned from ABGATE_KEYS
      ]),
    );
    expect(call!.keys).toHaveLength(new Set(call!.keys).size);
    // One hash tag, hence one slot.
    for (const k of call!.keys) expect(k).toContain(':{e1}:');
  });

  it('declares per call only its own phase’s keys', () => {
    const plan = planBatch(items([x('e1', 'u1'), x('e1', 'u2', 2), o('u3', 'e2')]), ctx);
    expect(plan.calls.map((c) => c.keys.filter((k) => k.includes(':v:') || k.includes('seen:')))).toEqual([
      [],
      [],
      ['t:{e2}:p1:v:m'],
    ]);
    expect(plan.calls[1]!.keys).toContain('t:{e1}:p2:hw');
    expect(plan.calls[1]!.keys).not.toContain('t:{e1}:p1:hw');
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

describe('undeclaredKeysOf', () => {
  it('reads the keys of an ABGATE_KEYS reply, with or without the script suffix', () => {
    const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });
    expect(
      undeclaredKeysOf(reply('ABGATE_KEYS t:{e}:p1:v:a t:{e}:p1:v:b script: 1f2e, on @user_script:9.')),
    ).toEqual(['t:{e}:p1:v:a', 't:{e}:p1:v:b']);
    expect(undeclaredKeysOf(reply('ABGATE_KEYS t:{e}:p1:v:a'))).toEqual(['t:{e}:p1:v:a']);
    expect(undeclaredKeysOf(reply('ABGATE_UNDECLARED t:{e}:meta'))).toBeUndefined();
    expect(undeclaredKeysOf(new Error('ABGATE_KEYS x'))).toBeUndefined(); // not a server reply
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
