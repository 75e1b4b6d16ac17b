// Load generation, in the bench process: saturation with autocannon, and latency at a fixed rate.
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { percentile } from './stats.js';

/** Distinct user ids the load draws from. */
export const USER_POOL = 1_000_000;

/** A small ranking request, as a client of the demo ranker would send. */
export const BODY = JSON.stringify({ features: { query_length: 3, position: 2, price: 19.99 } });

const BASE_HEADERS = { 'content-type': 'application/json' } as const;

/** A uniformly random user id out of USER_POOL distinct ones. */
export function randomUserId(): string {
  return `u${Math.floor(Math.random() * USER_POOL)}`;
}

export interface Target {
  /** Base URL of the server under test. */
  readonly url: string;
  /** Path a prediction is POSTed to. */
  readonly path: string;
}

export interface SaturationResult {
  /** 2xx responses per second over the run. */
  readonly rps: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly durationS: number;
  /** autocannon's latency percentiles under saturation (ms, integer resolution). */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * Closed-loop saturation: `connections` keep-alive connections, each sending its next request as
 * soon as the previous answer arrived. Every request carries a random x-user-id (setupRequest).
 */
export function saturate(target: Target, connections: number, durationS: number): Promise<SaturationResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: target.url,
        connections,
        duration: durationS,
        requests: [
          {
            method: 'POST',
            path: target.path,
            body: BODY,
            setupRequest: (req) => {
              req.headers = { ...BASE_HEADERS, 'x-user-id': randomUserId() };
              return req;
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const ok = result['2xx'];
        resolve({
          rps: ok / result.duration,
          requests: ok,
          non2xx: result.non2xx,
          errors: result.errors,
          durationS: result.duration,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
        });
      },
    );
  });
}

export interface PacedResult {
  /** Requests sent per second, as achieved. */
  readonly achievedRate: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Latency percentiles in ms (microsecond resolution), client send → last response byte. */
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** With `windowS`: the same per window of the run, by send time. */
  readonly windows?: readonly {
    startS: number;
    requests: number;
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
  }[];
}

export interface PacedOptions {
  /** Requests per second. */
  readonly rate: number;
  readonly durationS: number;
  /** Picks the user id of each request. @default randomUserId */
  readonly userId?: () => string;
  /** Called every `sampleEveryS` seconds while running (memory mode uses it). */
  readonly onSample?: (elapsedS: number) => void;
  readonly sampleEveryS?: number;
  /** Also report latency percentiles per window of this many seconds. */
  readonly windowS?: number;
}

/**
 * Open-loop load at a fixed rate, evenly spaced (about one request per millisecond at 1,000/s):
 * requests are sent on schedule whether or not earlier ones have answered, so a slow server shows
 * up as latency rather than as a lower rate (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: autocannon limits each connection to rate/connections
 * requests per *second* and sends them back to back at the start of each second, so "1,000 req/s"
 * is really a burst at full concurrency followed by silence; its latency histogram also has 1 ms
 * resolution. Here latency is measured with performance.now() (µs resolution).
 */
export async function paced(target: Target, opts: PacedOptions): Promise<PacedResult> {
  const pool = new Pool(target.url, { connections: 64, keepAliveTimeout: 30_000 });
  const userId = opts.userId ?? randomUserId;
  const total = Math.round(opts.rate * opts.durationS);
  const latencies = new Float64Array(total);
  // Send time (s since start) of each measured latency, for per-window statistics.
  const sentAt = opts.windowS ? new Float64Array(total) : undefined;
  let sent = 0;
  let done = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;

  const fire = () => {
    const t0 = performance.now();
    pool
      .request({
        path: target.path,
        method: 'POST',
        headers: { ...BASE_HEADERS, 'x-user-id': userId() },
        body: BODY,
      })
      .then(async (res) => {
        await res.body.arrayBuffer();
        if (res.statusCode >= 200 && res.statusCode < 300) {
          if (sentAt) sentAt[ok] = (t0 - start) / 1000;
          latencies[ok++] = performance.now() - t0;
        } else non2xx++;
      })
      .catch(() => {
        errors++;
      })
      .finally(() => {
        done++;
      });
  };

  const start = performance.now();
  let nextSample = opts.sampleEveryS ?? Infinity;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsed * opts.rate) / 1000));
      while (sent < due) {
        sent++;
        fire();
      }
      if (opts.onSample && elapsed / 1000 >= nextSample) {
        opts.onSample(elapsed / 1000);
        nextSample += opts.sampleEveryS ?? Infinity;
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  const sendSeconds = (performance.now() - start) / 1000;
  // Wait for the stragglers (bounded).
  const deadline = performance.now() + 10_000;
  while (done < sent && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await pool.close();

  let windows: PacedResult['windows'];
  if (sentAt && opts.windowS) {
    const w = opts.windowS;
    const buckets: number[][] = [];
    for (let i = 0; i < ok; i++) (buckets[Math.floor(sentAt[i]! / w)] ??= []).push(latencies[i]!);
    windows = [...buckets.entries()]
      .filter(([, b]) => b !== undefined)
      .map(([i, b]) => {
        const sorted = Float64Array.from(b).sort();
        return {
          startS: i * w,
          requests: sorted.length,
          p50Ms: percentile(sorted, 0.5),
          p99Ms: percentile(sorted, 0.99),
          maxMs: sorted[sorted.length - 1]!,
        };
      });
  }
  const measured = latencies.subarray(0, ok).sort();
  return {
    windows,
    achievedRate: sent / sendSeconds,
    requests: sent,
    non2xx,
    errors: errors + (sent - done),
    p50Ms: percentile(measured, 0.5),
    p90Ms: percentile(measured, 0.9),
    p99Ms: percentile(measured, 0.99),
    maxMs: measured.length > 0 ? measured[measured.length - 1]! : NaN,
  };
}

/**
 * The same fixed-rate measurement with autocannon's `overallRate` (bursty, 1 ms resolution), kept
 * for comparison: `npm run bench -- --latency-driver autocannon`.
 */
export function autocannonRate(target: Target, rate: number, durationS: number): Promise<PacedResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon(
      {
        url: target.url,
        connections: 16,
        overallRate: rate,
        duration: durationS,
        requests: [
          {
            method: 'POST',
            path: target.path,
            body: BODY,
            setupRequest: (req) => {
              req.headers = { ...BASE_HEADERS, 'x-user-id': randomUserId() };
              return req;
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const sorted = Float64Array.from(latencies).sort();
        resolve({
          achievedRate: result.requests.sent / result.duration,
          requests: result.requests.sent,
          non2xx: result.non2xx,
          errors: result.errors,
          p50Ms: percentile(sorted, 0.5),
          p90Ms: percentile(sorted, 0.9),
          p99Ms: percentile(sorted, 0.99),
          maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : NaN,
        });
      },
    );
    // The instance re-emits each client's response with the exact (float ms) response time.
    (instance as NodeJS.EventEmitter).on(
      'response',
      (_client: unknown, status: number, _bytes: number, ms: number) => {
        if (status >= 200 && status < 300) latencies.push(ms);
      },
    );
  });
}
