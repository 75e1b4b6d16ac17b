import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { requestLogger } from './request-log.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _e, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { lines, logger };
}

const ok = {
  requestId: 'r1',
  method: 'POST',
  experiment: 'e',
  arm: 'a',
  status: 200,
  upstreamMs: 1.23456,
  totalMs: 2.5,
};

describe('requestLogger', () => {
  it('logs the wide line with request id, experiment, arm, status and both durations', () => {
    const { lines, logger } = capture();
    requestLogger(logger)(ok);
    expect(lines[0]).toMatchObject({
      request_id: 'r1',
      experiment: 'e',
      arm: 'a',
      status: 200,
      upstream_ms: 1.235,
      total_ms: 2.5,
      msg: 'request',
    });
  });

  it('samples successes by the configured rate using the injected randomness', () => {
    const { lines, logger } = capture();
    const draws = [0.05, 0.5, 0.09, 0.99];
    const log = requestLogger(logger, { sampleRate: 0.1, random: () => draws.shift()! });
    for (let i = 0; i < 4; i++) log(ok);
    expect(lines).toHaveLength(2);
  });

  it('always logs errors, at error level for 5xx', () => {
    const { lines, logger } = capture();
    const log = requestLogger(logger, { sampleRate: 0, random: () => 0 });
    log({ ...ok, status: 502, errorCode: 'upstream_unavailable' });
    log({ ...ok, status: 400, errorCode: 'missing_unit' });
    expect(lines.map((l) => l.level)).toEqual([50, 40]);
  });

  it('always logs the expected 503 store_unavailable, at warn: the client retries, nothing is broken here', () => {
    const { lines, logger } = capture();
    const log = requestLogger(logger, { sampleRate: 0, random: () => 0 });
    log({ ...ok, status: 503, errorCode: 'store_unavailable' });
    // The same code with an unexpected cause behind it is a failure.
    log({ ...ok, status: 503, errorCode: 'store_unavailable', cause: new Error('boom') });
    expect(lines.map((l) => [l.level, l.error_code])).toEqual([
      [40, 'store_unavailable'],
      [50, 'store_unavailable'],
    ]);
  });

  it('always logs a fallback with its attempts, and never a successful probe', () => {
    const { lines, logger } = capture();
    // Successes are not sampled at all, yet the fallback is logged…
    const log = requestLogger(logger, { sampleRate: 0, random: () => 0 });
    log({
      ...ok,
      arm: 'treatment',
      servedBy: 'control',
      fallback: true,
      attempts: [
        { arm: 'treatment', result: 'timeout', ms: 150.0004 },
        { arm: 'control', result: '2xx', ms: 2 },
      ],
    });
    // …and with every success logged, a successful probe still is not; a failing one is.
    const all = requestLogger(logger, { sampleRate: 1, random: () => 0 });
    all({
      requestId: 'p',
      method: 'GET',
      path: '/readyz',
      route: '/readyz',
      status: 200,
      totalMs: 1,
      quiet: true,
    });
    all({ requestId: 'p5', method: 'GET', path: '/readyz', route: '/readyz', status: 503, totalMs: 1 });
    expect(lines.map((l) => [l.level, l.request_id])).toEqual([
      [40, 'r1'],
      [50, 'p5'],
    ]);
    expect(lines[0]).toMatchObject({
      arm: 'treatment',
      served_by: 'control',
      attempts: [
        { arm: 'treatment', result: 'timeout', ms: 150 },
        { arm: 'control', result: '2xx', ms: 2 },
      ],
    });
  });
});
