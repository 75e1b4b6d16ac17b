// A client-side ledger for the cluster tests: what gateways told clients (exposures answered with an arm,
// outcomes acknowledged), compared exactly with what the report counts.
import { request } from 'undici';
import { expect } from 'vitest';
import type { Report } from '../../src/reports/build-report.js';

/** The experiment of the ledger: binomial `buy` (converted once a 1 is sent) and continuous `spend` (Σ). */
export const LEDGER_METRICS = [
  { name: 'buy', type: 'binomial' },
  { name: 'spend', type: 'continuous' },
] as const;

interface OutcomeAnswer {
  accepted: number;
  duplicates: number;
  held: number;
  queued: number;
  unattributed: number;
}

export class Ledger {
  /** user → arm the gateway answered. */
  readonly arms = new Map<string, string>();
  private readonly bought = new Set<string>();
  private readonly spend = new Map<string, number>();
  private nextId = 0;
  predictions = 0;
  outcomes = 0;
  /** Outcomes answered 'held': no exposure in Redis yet when they arrived (it was still on its way). */
  held = 0;
  /** Sends answered 503 (store unavailable) and sent again with the same event_id. */
  retries = 0;

  constructor(readonly experiment: string) {}

  /** One prediction; the exposure is expected once the gateway answered 2xx with an arm. */
  async predict(gatewayUrl: string, user: string): Promise<void> {
    const res = await request(`${gatewayUrl}/${this.experiment}`, { headers: { 'x-user-id': user } });
    await res.body.dump();
    if (res.statusCode < 200 || res.statusCode > 299)
      throw new Error(`prediction answered ${res.statusCode}`);
    const arm = String(res.headers['x-abgate-arm']);
    const known = this.arms.get(user);
    if (known !== undefined && known !== arm) throw new Error(`user ${user} moved from ${known} to ${arm}`);
    this.arms.set(user, arm);
    this.predictions += 1;
  }

  /**
   * One outcome with an event_id, sent until a gateway acknowledges it (accepted, duplicate, held or
   * queued); a 503 is retried with the same event_id, maybe on another gateway (`urls` in turn).
   */
  async outcome(
    urls: readonly string[],
    user: string,
    metric: 'buy' | 'spend',
    value: number,
  ): Promise<void> {
    const eventId = `ev-${this.nextId++}`;
    // The experiment is named: other experiments tracking the same metric must not get the outcome.
    const body = JSON.stringify({
      user_id: user,
      metric,
      value,
      event_id: eventId,
      experiment: this.experiment,
    });
    for (let attempt = 0; attempt < 200; attempt++) {
      const url = urls[attempt % urls.length]!;
      const res = await request(`${url}/api/v1/outcomes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await res.body.text();
      if (res.statusCode === 503) {
        this.retries += 1;
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      if (res.statusCode !== 202) throw new Error(`outcome answered ${res.statusCode}: ${text}`);
      const a = JSON.parse(text) as OutcomeAnswer;
      if (a.accepted + a.duplicates + a.held + a.queued !== 1)
        throw new Error(`outcome not acknowledged: ${text}`);
      this.outcomes += 1;
      this.held += a.held;
      if (metric === 'buy' && value === 1) this.bought.add(user);
      if (metric === 'spend') this.spend.set(user, (this.spend.get(user) ?? 0) + value);
      return;
    }
    throw new Error(`outcome ${eventId} never acknowledged`);
  }

  /** The report must count exactly what the ledger holds: exposures, conversions, Σ spend, 0 unattributed. */
  async expectReportMatches(gatewayUrl: string): Promise<Report> {
    const res = await request(`${gatewayUrl}/api/v1/experiments/${this.experiment}/report`);
    expect(res.statusCode).toBe(200);
    const report = (await res.body.json()) as Report;
    const users = (arm: string) => [...this.arms].filter(([, a]) => a === arm).map(([u]) => u);
    const metric = (name: string) => report.metrics.find((m) => m.name === name)!;
    // The report gives rates and means per exposed user: back to counts and sums (sums rounded to 1e-6).
    const round = (x: number) => Math.round(x * 1e6) / 1e6;
    const got = report.arms.map((a) => ({
      arm: a.name,
      exposures: a.exposures,
      buyers: Math.round((metric('buy').arms.find((m) => m.arm === a.name)!.mean ?? 0) * (a.exposures ?? 0)),
      spend: round((metric('spend').arms.find((m) => m.arm === a.name)!.mean ?? 0) * (a.exposures ?? 0)),
    }));
    const want = report.arms.map((a) => {
      const inArm = users(a.name);
      return {
        arm: a.name,
        exposures: inArm.length,
        buyers: inArm.filter((u) => this.bought.has(u)).length,
        spend: round(inArm.reduce((s, u) => s + (this.spend.get(u) ?? 0), 0)),
      };
    });
    const extra = { held_users: report.held_users, multiple_arm_users: report.multiple_arm_users };
    expect({ arms: got, ...extra, unattributed: report.unattributed }).toEqual({
      arms: want,
      held_users: 0,
      multiple_arm_users: 0,
      unattributed: Object.fromEntries(Object.keys(report.unattributed).map((k) => [k, 0])),
    });
    expect(Object.keys(report.unattributed)).toEqual(expect.arrayContaining(['buy', 'spend']));
    expect([...new Set(this.arms.values())].every((a) => report.arms.some((r) => r.name === a))).toBe(true);
    return report;
  }
}
