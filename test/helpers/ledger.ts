// A client-side ledger of what a gateway told its clients, to compare EXACTLY with what the store counts:
// every prediction answered 2xx with `x-abgate-arm` is an exposure of its user in that arm; every outcome
// the gateway acknowledged (answered 202 and not listed in `rejected`: accepted, duplicate, held, queued
// or unattributed, see src/http/routes/outcomes.ts) counts once, however many times it was sent.
//
// What the clients were NOT told is tracked too, so a comparison stays exact: a prediction without an
// answer (connection cut by a crash) may or may not have exposed its user ("maybe"); an outcome without an
// acknowledgement must be re-sent with its event_id until acknowledged (`unacknowledged()`), and one
// without an event_id that got no acknowledgement makes the ledger unusable for that metric ("uncertain").
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import type { ExperimentAggregates } from '../../src/store/event-store.js';

export type LedgerMetricType = 'binomial' | 'continuous';

export interface OutcomeEvent {
  readonly user_id: string;
  readonly metric: string;
  readonly value: number;
  readonly event_id?: string;
}

interface ArmExpectation {
  exposures: number;
  /** Users whose exposure is unknown (no answer) and whose first arm would be this one. */
  maybe: number;
  metrics: Record<string, { users: number; sum: number }>;
}

export interface LedgerDiff {
  readonly what: string;
  readonly expected: number | string;
  readonly actual: number | string;
}

export class Ledger {
  /** user → arm the gateway told the client (first answer; a user keeps their arm). */
  private readonly exposed = new Map<string, string>();
  /** user → arm of a prediction that got no answer (the arm is the user's hash: known from other answers or the `armOf` hook). */
  private readonly maybeExposed = new Set<string>();
  /** Acknowledged outcomes: event_id (or a unique key for events without one) → event. */
  private readonly acknowledged = new Map<string, OutcomeEvent>();
  /** Sent with an event_id, not acknowledged yet: must be re-sent. */
  private readonly pending = new Map<string, OutcomeEvent>();
  private uncertain = 0;
  private anonymous = 0;
  /** Outcomes the gateway answered `unattributed`. */
  unattributedAnswers = 0;
  /** Answers seen, by kind, for the case's own checks and messages. */
  readonly answers = {
    predictions: 0,
    predictionErrors: 0,
    outcomes: 0,
    outcomeErrors: 0,
    held: 0,
    queued: 0,
  };

  constructor(
    readonly experiment: string,
    readonly arms: readonly string[],
    readonly metrics: Readonly<Record<string, LedgerMetricType>>,
  ) {}

  /** A prediction's answer: 2xx with `x-abgate-arm` of this experiment (not forced) is an exposure. */
  prediction(user: string, answer: { status: number; headers: Record<string, unknown> } | Error): void {
    if (answer instanceof Error) {
      this.answers.predictionErrors += 1;
      if (!this.exposed.has(user)) this.maybeExposed.add(user);
      return;
    }
    const arm = answer.headers['x-abgate-arm'];
    const experiment = answer.headers['x-abgate-experiment'];
    if (answer.status < 200 || answer.status > 299 || typeof arm !== 'string') {
      this.answers.predictionErrors += 1;
      return;
    }
    this.answers.predictions += 1;
    if (experiment !== this.experiment || answer.headers['x-abgate-forced'] === '1') return;
    if (!this.exposed.has(user)) this.exposed.set(user, arm);
    this.maybeExposed.delete(user);
  }

  /** The arm the gateway told for `user`, if it did. */
  armOf(user: string): string | undefined {
    return this.exposed.get(user);
  }

  get exposedUsers(): readonly string[] {
    return [...this.exposed.keys()];
  }

  /** One POST /api/v1/outcomes answer for `events` (in the order sent), or the error the request failed with. */
  outcomes(
    events: readonly OutcomeEvent[],
    answer: { status: number; body: Record<string, unknown> } | Error,
  ): void {
    const acked = !(answer instanceof Error) && answer.status === 202;
    if (acked) {
      const body = answer.body as { rejected?: { index: number }[]; unattributed?: number };
      const refused = new Set((body.rejected ?? []).map((r) => r.index));
      this.answers.outcomes += 1;
      this.answers.held += Number(answer.body.held ?? 0);
      this.answers.queued += Number(answer.body.queued ?? 0);
      this.unattributedAnswers += body.unattributed ?? 0;
      events.forEach((e, i) => {
        if (refused.has(i)) throw new Error(`outcome ${JSON.stringify(e)} rejected: ${JSON.stringify(body)}`);
        const key = e.event_id ?? `anonymous-${this.anonymous++}`;
        this.pending.delete(key);
        if (!this.acknowledged.has(key)) this.acknowledged.set(key, e);
      });
      return;
    }
    this.answers.outcomeErrors += 1;
    for (const e of events) {
      if (e.event_id === undefined) this.uncertain += 1;
      else if (!this.acknowledged.has(e.event_id)) this.pending.set(e.event_id, e);
    }
  }

  /** Outcomes sent with an event_id and never acknowledged: the client's duty is to re-send them. */
  unacknowledged(): OutcomeEvent[] {
    return [...this.pending.values()];
  }

  get acknowledgedCount(): number {
    return this.acknowledged.size;
  }

  /** Per arm: exposures and, per metric, users with a value and the sum of their values. */
  expected(): Record<string, ArmExpectation> {
    const out: Record<string, ArmExpectation> = {};
    for (const arm of this.arms) {
      out[arm] = { exposures: 0, maybe: 0, metrics: {} };
      for (const m of Object.keys(this.metrics)) out[arm].metrics[m] = { users: 0, sum: 0 };
    }
    for (const arm of this.exposed.values()) out[arm]!.exposures += 1;
    for (const user of this.maybeExposed) {
      // Unknown arm: counted as "maybe" in every arm (a bound, not an exact figure).
      if (!this.exposed.has(user)) for (const arm of this.arms) out[arm]!.maybe += 1;
    }
    const perUser = new Map<string, number>(); // `${metric}\0${user}` → value
    for (const e of this.acknowledged.values()) {
      const key = `${e.metric}\u0000${e.user_id}`;
      const before = perUser.get(key);
      const type = this.metrics[e.metric];
      if (type === undefined) throw new Error(`the ledger does not know metric ${e.metric}`);
      perUser.set(key, type === 'binomial' ? Math.max(before ?? 0, e.value) : (before ?? 0) + e.value);
    }
    for (const [key, value] of perUser) {
      const [metric, user] = key.split('\u0000') as [string, string];
      const arm = this.exposed.get(user);
      if (arm === undefined) throw new Error(`outcome for ${user}, who was never told an arm`);
      const m = out[arm]!.metrics[metric]!;
      m.users += 1;
      m.sum += value;
    }
    return out;
  }

  /** Every difference between the ledger and the store's aggregates (empty: they agree exactly). */
  compare(actual: ExperimentAggregates): LedgerDiff[] {
    const diffs: LedgerDiff[] = [];
    const diff = (what: string, expected: number | string, got: number | string) => {
      if (expected !== got) diffs.push({ what, expected, actual: got });
    };
    if (this.uncertain > 0) {
      diffs.push({
        what: 'outcomes without event_id and without an answer',
        expected: 0,
        actual: this.uncertain,
      });
    }
    const expected = this.expected();
    for (const arm of this.arms) {
      const want = expected[arm]!;
      const got = actual.arms.find((a) => a.arm === arm);
      const exposures = got?.exposures ?? 0;
      if (want.maybe === 0) diff(`${arm}.exposures`, want.exposures, exposures);
      else if (exposures < want.exposures || exposures > want.exposures + want.maybe) {
        diffs.push({
          what: `${arm}.exposures`,
          expected: `${want.exposures}..${want.exposures + want.maybe}`,
          actual: exposures,
        });
      }
      for (const [metric, m] of Object.entries(want.metrics)) {
        const g = got?.metrics[metric];
        diff(`${arm}.${metric}.users`, m.users, g?.users ?? 0);
        // The store keeps sums around a shift (see src/store/README.md); integer values add up exactly.
        const sum = g ? g.sum + g.users * g.shift : 0;
        diff(`${arm}.${metric}.sum`, m.sum, Math.round(sum * 1e6) / 1e6);
      }
    }
    for (const metric of Object.keys(this.metrics)) {
      diff(`unattributed.${metric}`, 0, actual.unattributed[metric] ?? 0);
    }
    diff('held users', 0, actual.heldUsers);
    diff('users in several arms', 0, actual.multipleArmUsers);
    return diffs;
  }

  /** The store query matching this ledger. */
  query() {
    return {
      experiment: this.experiment,
      arms: this.arms,
      metrics: Object.entries(this.metrics).map(([name, type]) => ({ name, type })),
    };
  }
}

/** One prediction through the gateway, recorded in the ledger. */
export async function predict(
  ledger: Ledger,
  url: string,
  path: string,
  user: string,
  dispatcher?: Dispatcher,
): Promise<void> {
  try {
    const res = await request(`${url}${path}`, {
      headers: { 'x-user-id': user },
      ...(dispatcher ? { dispatcher } : {}),
    });
    await res.body.dump();
    ledger.prediction(user, { status: res.statusCode, headers: res.headers });
  } catch (err) {
    ledger.prediction(user, err instanceof Error ? err : new Error(String(err)));
  }
}

/** One POST /api/v1/outcomes with `events`, recorded in the ledger; returns the HTTP status (0: no answer). */
export async function sendOutcomes(
  ledger: Ledger,
  url: string,
  events: readonly OutcomeEvent[],
  dispatcher?: Dispatcher,
): Promise<number> {
  try {
    const res = await request(`${url}/api/v1/outcomes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events.map((e) => ({ experiment: ledger.experiment, ...e }))),
      ...(dispatcher ? { dispatcher } : {}),
    });
    const text = await res.body.text();
    const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    ledger.outcomes(events, { status: res.statusCode, body });
    return res.statusCode;
  } catch (err) {
    ledger.outcomes(events, err instanceof Error ? err : new Error(String(err)));
    return 0;
  }
}
