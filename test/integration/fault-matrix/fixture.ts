// Shared parts of the fault-matrix cases: a Redis with AOF (what Redis acknowledged survives its own
// restart, so every loss the ledger finds is the gateway's), real upstreams, an experiment folder with a
// binomial and a continuous metric, and the ledger comparison polled until it holds or the time is up.
import { afterAll, beforeAll, expect } from 'vitest';
import { Agent } from 'undici';
import { readAggregatesFrom } from '../../../src/store/redis/read-aggregates-from.js';
import { RedisServer, type RedisServerOptions } from '../../setup/redis-server.js';
import { startUpstream, type TestUpstream } from '../../helpers/upstream.js';
import { experimentsDir, twoArmExperiment } from '../../helpers/experiments.js';
import {
  startGatewayProcess,
  type GatewayProcess,
  type GatewayProcessOptions,
} from '../../helpers/gateway-process.js';
import { Ledger, predict, sendOutcomes, type LedgerDiff, type OutcomeEvent } from '../../helpers/ledger.js';

export const METRICS = { click: 'binomial', spend: 'continuous' } as const;
export const ARMS = ['control', 'treatment'] as const;

export interface Fixture {
  redis: RedisServer;
  dir: string;
  /** The experiment ids of the folder: one per case inside a file, so cases never share counts. */
  gateways: GatewayProcess[];
  start(options?: Partial<GatewayProcessOptions>): Promise<GatewayProcess>;
  ledger(experiment: string): Ledger;
}

/**
 * Call at the top of a case file: one Redis (AOF, fsync always unless `redisOptions` say otherwise), two
 * upstreams, a folder with the experiments `ids`. Every gateway started through `start` is killed after.
 */
export function useFaultFixture(
  ids: readonly string[],
  redisOptions: RedisServerOptions = { appendOnly: true },
) {
  const f = {} as Fixture;
  let upstreams: TestUpstream[] = [];
  beforeAll(async () => {
    f.redis = await RedisServer.start(redisOptions);
    upstreams = await Promise.all([startUpstream('control'), startUpstream('treatment')]);
    f.dir = await experimentsDir(
      ids.map((id) =>
        twoArmExperiment(id, [upstreams[0]!.url, upstreams[1]!.url], {
          metrics: [
            { name: 'click', type: 'binomial' },
            { name: 'spend', type: 'continuous' },
          ],
        }),
      ),
    );
    f.gateways = [];
    f.start = async (options = {}) => {
      const gw = await startGatewayProcess({
        dir: f.dir,
        redis: f.redis.url,
        ...options,
        // A short grace period is not needed: held outcomes must be applied by their exposure, not swept.
        env: { ABGATE_LOG_LEVEL: 'info', ...options.env },
      });
      f.gateways.push(gw);
      return gw;
    };
    f.ledger = (experiment) => new Ledger(experiment, ARMS, METRICS);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(f.gateways.map((g) => g.kill()));
    await Promise.all(upstreams.map((u) => u.close()));
    await f.redis?.dispose();
  });
  return f;
}

/** What the store counts for the ledger's experiment (phase 1), read straight from Redis. */
export function readStore(redis: RedisServer, ledger: Ledger) {
  return readAggregatesFrom(redis.url, ledger.query());
}

/**
 * Polls the store until it agrees exactly with the ledger (replays and held outcomes take a moment), then
 * checks it stays so. Fails with the differences when it never does within `timeoutMs`.
 */
export async function expectStoreMatches(redis: RedisServer, ledger: Ledger, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  let diffs: LedgerDiff[];
  for (;;) {
    diffs = ledger.compare(await readStore(redis, ledger));
    if (diffs.length === 0 || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(
    diffs,
    `store vs ledger (${ledger.exposedUsers.length} users told an arm, ${ledger.acknowledgedCount} outcomes acknowledged)`,
  ).toEqual([]);
}

/**
 * Waits until the gateway's journal is empty (everything applied) as its /readyz says; under `--workers`,
 * until `workers` different workers said so (each /readyz is answered by one of them).
 */
export async function drained(gw: GatewayProcess, workers = 1, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const done = new Set<number>();
  for (;;) {
    const r = await gw.readyz();
    if (r.store.connected && r.store.queueDepth === 0) done.add(r.pid);
    else done.delete(r.pid);
    if (done.size >= workers) return;
    if (Date.now() > until) throw new Error(`gateway never drained: ${JSON.stringify(r)}`);
    await new Promise((r2) => setTimeout(r2, 25));
  }
}

/** Re-sends every unacknowledged outcome (with its event_id) until all are acknowledged. */
export async function resendUnacknowledged(ledger: Ledger, url: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (ledger.unacknowledged().length > 0) {
    if (Date.now() > until) throw new Error(`${ledger.unacknowledged().length} outcomes never acknowledged`);
    const batch = ledger.unacknowledged().slice(0, 100);
    if ((await sendOutcomes(ledger, url, batch)) !== 202) await new Promise((r) => setTimeout(r, 100));
  }
}

export interface LoadOptions {
  /** Users are `${prefix}-0…${prefix}-${users - 1}`. */
  readonly prefix: string;
  /** Concurrent clients. @default 8 */
  readonly clients?: number;
  /** @default 400 */
  readonly users?: number;
  /** Where predictions go (request number → base URL). */
  readonly predictAt: (i: number) => string;
  /** Where outcomes go. @default predictAt */
  readonly outcomeAt?: (i: number) => string;
  /** Path after the experiment's route, e.g. `/slow/200` to keep requests in flight. @default '' */
  readonly path?: string;
  /** Send some outcomes without event_id (a failed one then makes the ledger inexact). @default true */
  readonly anonymous?: boolean;
}

/**
 * Client load: predictions for users `${prefix}-…`, and for users already told an arm, outcomes (clicks with
 * and without event_id, spends with an event_id): one outcome request for two predictions. Runs until `stop()`.
 */
export function runLoad(ledger: Ledger, options: LoadOptions) {
  const agent = new Agent({ connections: 32 });
  let stopped = false;
  let n = 0;
  let outcomeSeq = 0;
  const users = options.users ?? 400;
  const anonymous = options.anonymous ?? true;
  const client = async (c: number) => {
    while (!stopped) {
      const i = n++;
      if (i % 3 !== 2 || ledger.exposedUsers.length === 0) {
        const path = `/${ledger.experiment}${options.path ?? ''}`;
        await predict(ledger, options.predictAt(i), path, `${options.prefix}-${i % users}`, agent);
      } else {
        const told = ledger.exposedUsers;
        const user = told[(i * 7919) % told.length]!;
        const id = `${options.prefix}-o${outcomeSeq++}`;
        const events: OutcomeEvent[] = [
          {
            user_id: user,
            metric: 'click',
            value: i % 2,
            ...(anonymous && c % 2 === 0 ? {} : { event_id: `${id}-c` }),
          },
          { user_id: user, metric: 'spend', value: (i % 17) + 1, event_id: `${id}-s` },
        ];
        await sendOutcomes(ledger, (options.outcomeAt ?? options.predictAt)(i), events, agent);
      }
    }
  };
  const running = Promise.all(Array.from({ length: options.clients ?? 8 }, (_, c) => client(c)));
  return {
    /** Requests sent so far. */
    get sent() {
      return n;
    },
    /** Stops sending; resolves once every request in flight was answered (or failed). */
    async stop() {
      stopped = true;
      await running;
      await agent.close();
    },
  };
}

/** Resolves once `check()` holds, polling every 20 ms; rejects with `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
