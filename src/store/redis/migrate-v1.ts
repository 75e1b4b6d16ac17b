// Moves an experiment's abgate v1 keys (no phases, raw Σx and Σx² sums) to phase 1 of the v2 layout and
// recomputes its sums exactly (shifted) from the users' stored values. Runs at start for every known
// experiment; the apply script refuses writes to an experiment until its migration is done, and a lock
// keeps two gateways from migrating the same experiment at once. Streams with HSCAN: O(users) time,
// O(page) memory.
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { contribution, dayOf, nextCoMoments, nextMoments, type RawValue } from '../accumulate.js';
import type { MetricType, RatioMetric } from '../event-store.js';
import { coMomentsOf, dayField, field, momentsOf } from '../stat-fields.js';
import type { KeyLayout } from './key-layout.js';

export interface MigratedExperiment {
  readonly id: string;
  /** binomial, continuous or mean metrics; `cap` as configured now. */
  readonly metrics: readonly { readonly name: string; readonly type: MetricType; readonly cap?: number }[];
  readonly ratios?: readonly RatioMetric[];
}

type Client = Redis | Cluster;

const PAGE = 1000;
const LOCK_SECONDS = 600;

async function* scanHash(client: Client, key: string): AsyncGenerator<[string, string][]> {
  let cursor = '0';
  do {
    const [next, flat] = await client.hscan(key, cursor, 'COUNT', PAGE);
    cursor = next;
    const page: [string, string][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) page.push([flat[i]!, flat[i + 1]!]);
    if (page.length > 0) yield page;
  } while (cursor !== '0');
}

/** Keys of the hash-tag slot matching `pattern` (on every master of a cluster). */
async function keysLike(client: Client, pattern: string): Promise<string[]> {
  const nodes =
    'nodes' in client && typeof client.nodes === 'function' ? client.nodes('master') : [client as Redis];
  const found = new Set<string>();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', PAGE);
      cursor = next;
      for (const k of keys) found.add(k);
    } while (cursor !== '0');
  }
  return [...found];
}

function raw(text: string): RawValue {
  const comma = text.indexOf(',');
  return comma === -1
    ? { sum: Number(text), count: 0 }
    : { sum: Number(text.slice(0, comma)), count: Number(text.slice(comma + 1)) };
}

/** Migrates `exp` when it still has v1 keys; resolves once it is on v2 (by this or another gateway). */
export async function migrateExperiment(
  client: Client,
  keys: KeyLayout,
  exp: MigratedExperiment,
  now: () => number = Date.now,
): Promise<'migrated' | 'already' | 'fresh'> {
  const meta = keys.meta(exp.id);
  if ((await client.hget(meta, 'schema')) !== null) return 'already';
  const v1 = keys.v1(exp.id);
  if ((await client.exists(v1.arm, v1.stats)) === 0) return 'fresh';
  const lock = `${keys.experimentBase(exp.id)}migrating`;
  const token = randomBytes(8).toString('hex');
  if ((await client.set(lock, token, 'EX', LOCK_SECONDS, 'NX')) !== 'OK') {
    // Another gateway migrates it: wait for the schema mark.
    const deadline = now() + LOCK_SECONDS * 1000;
    while (now() < deadline) {
      if ((await client.hget(meta, 'schema')) !== null) return 'already';
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`migration of experiment "${exp.id}" by another gateway did not finish`);
  }
  try {
    const arm = keys.arm(exp.id, 1);
    if ((await client.exists(v1.arm)) === 1 && (await client.exists(arm)) === 0)
      await client.rename(v1.arm, arm);
    if ((await client.exists(v1.multiArm)) === 1) await client.rename(v1.multiArm, keys.multiArm(exp.id, 1));
    for (const key of await keysLike(client, `${v1.valuesPrefix}*`)) {
      const metric = key.slice(v1.valuesPrefix.length);
      const target = keys.values(exp.id, 1, metric);
      if ((await client.exists(target)) === 0) await client.rename(key, target);
    }

    // Recompute every counter in memory (one number per field), then write them at once.
    const totals = new Map<string, number>();
    const read = (name: string) => totals.get(name) ?? 0;
    const add = (name: string, d: number) => {
      if (d !== 0) totals.set(name, read(name) + d);
    };
    for await (const page of scanHash(client, arm)) for (const [, a] of page) add(field.exposures(a), 1);
    add(field.multipleArmUsers, await client.scard(keys.multiArm(exp.id, 1)));

    const armsOf = async (users: string[]) => client.hmget(arm, ...users);
    const typeOf = new Map(exp.metrics.map((m) => [m.name, m]));
    const set = (name: string, value: number) => totals.set(name, value);
    for (const m of exp.metrics) {
      for await (const page of scanHash(client, keys.values(exp.id, 1, m.name))) {
        const arms = await armsOf(page.map(([u]) => u));
        page.forEach(([, text], i) => {
          const a = arms[i];
          if (!a) return;
          const next = contribution(m.type, raw(text), m.cap);
          if (m.type === 'binomial') {
            add(field.users(a, m.name), 1);
            add(field.converted(a, m.name), next);
            return;
          }
          const after = nextMoments(momentsOf(read, a, m.name), undefined, next);
          set(field.users(a, m.name), after.users);
          set(field.shift(a, m.name), after.shift);
          set(field.mean(a, m.name), after.mean);
          set(field.m2(a, m.name), after.m2);
        });
      }
    }
    for (const r of exp.ratios ?? []) {
      const num = typeOf.get(r.numerator);
      const den = typeOf.get(r.denominator);
      if (!num || !den) continue;
      const seen = new Set<string>();
      for (const [mine, other, own] of [
        [num, den, 'n'],
        [den, num, 'd'],
      ] as const) {
        for await (const page of scanHash(client, keys.values(exp.id, 1, mine.name))) {
          const users = page.map(([u]) => u).filter((u) => !seen.has(u));
          if (users.length === 0) continue;
          const [arms, others] = await Promise.all([
            armsOf(users),
            client.hmget(keys.values(exp.id, 1, other.name), ...users),
          ]);
          const texts = new Map(page);
          users.forEach((u, i) => {
            seen.add(u);
            const a = arms[i];
            if (!a) return;
            const x = contribution(mine.type, raw(texts.get(u)!), mine.cap);
            const o = others[i];
            const y = o === null || o === undefined ? 0 : contribution(other.type, raw(o), other.cap);
            const pair = own === 'n' ? { n: x, d: y } : { n: y, d: x };
            const c = nextCoMoments(coMomentsOf(read, a, r.name), undefined, pair);
            const f = field.ratio;
            set(f.users(a, r.name), c.users);
            set(f.shiftN(a, r.name), c.shiftN);
            set(f.shiftD(a, r.name), c.shiftD);
            set(f.meanN(a, r.name), c.meanN);
            set(f.meanD(a, r.name), c.meanD);
            set(f.m2N(a, r.name), c.m2N);
            set(f.m2D(a, r.name), c.m2D);
            set(f.cND(a, r.name), c.cND);
          });
        }
      }
    }

    // v1 kept no days: the migrated totals are the state at the end of the migration day.
    const day = dayOf(now());
    const fmt = (x: number) => String(x);
    const stats: string[] = [];
    const daily: string[] = [];
    for (const [name, value] of totals) {
      stats.push(name, fmt(value));
      daily.push(dayField(day, name), fmt(value));
    }
    const pipeline = client.multi();
    if (stats.length > 0) pipeline.hset(keys.stats(exp.id, 1), ...stats);
    if (daily.length > 0) pipeline.hset(keys.daily(exp.id, 1), ...daily);
    pipeline.del(v1.stats);
    pipeline.hset(meta, 'epoch', `migrated.${token}`, 'schema', '2');
    await pipeline.exec();
    return 'migrated';
  } finally {
    if ((await client.get(lock)) === token) await client.del(lock);
  }
}
