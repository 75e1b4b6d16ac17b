// A server's own ceiling from redis-benchmark (pipelined, quiet mode), in requests per second.
import { execFileSync } from 'node:child_process';

export interface CeilingOptions {
  readonly port: number;
  /** Requests per run. @default 1000000 */
  readonly requests?: number;
  /** Commands per pipeline. @default 16 */
  readonly pipeline?: number;
  /**
   * A command to run (`__rand_int__` is replaced by a random number below `randomRange`);
   * when unset, the built-in SET test (`-t set`). @default undefined
   */
  readonly command?: readonly string[];
  /** Range of `__rand_int__`. @default 100000000 */
  readonly randomRange?: number;
}

/** Runs redis-benchmark once and returns requests per second. */
export function measureRedisCeiling(options: CeilingOptions): number {
  const args = ['-p', String(options.port), '-n', String(options.requests ?? 1_000_000)];
  args.push('-P', String(options.pipeline ?? 16), '-q');
  if (options.command) args.push('-r', String(options.randomRange ?? 100_000_000), ...options.command);
  else args.push('-t', 'set');
  const out = execFileSync('redis-benchmark', args, { encoding: 'utf8' });
  // -q overwrites progress lines with "\r"; the result line ends "<rate> requests per second".
  const m = /: ([\d.]+) requests per second/.exec(out.split('\r').pop() ?? '');
  if (!m) throw new Error(`unexpected redis-benchmark output: ${out}`);
  return Number(m[1]);
}
