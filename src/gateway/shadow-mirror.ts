// Shadow arms: a copy of each request of the arms a shadow arm shadows goes to its upstream once the
// served answer has started; the shadow's answer is read and measured, never returned to anyone. Copies
// are fire-and-forget with bounded concurrency (the excess is dropped and counted), so a slow or dead
// shadow never delays a client nor piles up memory.
import type { ExperimentDefinition } from '../config/experiment-schema.js';
import { Cancellation } from '../proxy/cancellation.js';
import { isTimeout, UpstreamTimeoutError } from '../proxy/upstream-errors.js';
import type { Upstreams } from '../proxy/upstream-pools.js';
import { statusClass } from '../telemetry/request-record.js';
import type { ShadowMetrics } from '../telemetry/shadow-metrics.js';

interface ShadowTarget {
  readonly name: string;
  readonly origin: string;
  readonly basePath: string;
  readonly timeoutMs: number;
  /** Arms whose requests it mirrors. */
  readonly shadows: ReadonlySet<string>;
}

const targetsByDefinition = new WeakMap<ExperimentDefinition, readonly ShadowTarget[]>();

/** The shadow arms of a definition, parsed once per definition. */
function targetsOf(def: ExperimentDefinition): readonly ShadowTarget[] {
  let targets = targetsByDefinition.get(def);
  if (!targets) {
    targets = def.shadow_arms.map((a) => {
      const url = new URL(a.upstream);
      return {
        name: a.name,
        origin: url.origin,
        basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
        timeoutMs: a.timeout_ms,
        shadows: new Set(a.shadows),
      };
    });
    targetsByDefinition.set(def, targets);
  }
  return targets;
}

export interface ShadowMirrorOptions {
  readonly upstreams: Upstreams;
  readonly metrics: ShadowMetrics;
  /** Most copies in flight at once (this process). */
  readonly concurrency: number;
  /** Monotonic clock in ms. @default performance.now */
  readonly monotonic?: () => number;
}

export class ShadowMirror {
  private inFlight = 0;
  private readonly monotonic: () => number;

  constructor(private readonly options: ShadowMirrorOptions) {
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  /** Copies in flight now. */
  get pending(): number {
    return this.inFlight;
  }

  /** True when `def` has shadow arms: its request bodies must be kept for the copies. */
  wants(def: ExperimentDefinition): boolean {
    return def.shadow_arms.length > 0;
  }

  /**
   * Sends a copy of a request served by `servedArm` to every shadow arm of `def` that shadows it.
   * Returns at once; never throws.
   */
  mirror(
    def: ExperimentDefinition,
    servedArm: string,
    method: string,
    headers: Readonly<Record<string, string | string[]>>,
    path: string,
    body: Buffer | null,
  ): void {
    for (const target of targetsOf(def)) {
      if (!target.shadows.has(servedArm)) continue;
      if (this.inFlight >= this.options.concurrency) {
        this.options.metrics.dropped(def.id, target.name);
        continue;
      }
      this.send(def.id, target, method, headers, path, body);
    }
  }

  private send(
    experiment: string,
    target: ShadowTarget,
    method: string,
    headers: Readonly<Record<string, string | string[]>>,
    path: string,
    body: Buffer | null,
  ): void {
    this.inFlight++;
    const started = this.monotonic();
    const controller = new Cancellation();
    const timer = setTimeout(() => controller.abort(new UpstreamTimeoutError()), target.timeoutMs);
    const joined = target.basePath + path;
    const seconds = () => (this.monotonic() - started) / 1000;
    this.options.upstreams
      .request({
        origin: target.origin,
        path: joined === '' || joined.startsWith('?') ? `/${joined}` : joined,
        method,
        headers: { ...headers, 'x-abgate-arm': target.name, 'x-abgate-shadow': '1' },
        body,
        timeoutMs: target.timeoutMs,
        signal: controller.signal,
      })
      .then(async (response) => {
        const s = seconds();
        await response.body.dump();
        this.options.metrics.observe(experiment, target.name, statusClass(response.statusCode), s);
      })
      .catch((err: unknown) => {
        const timedOut = controller.signal.aborted || isTimeout(err);
        this.options.metrics.observe(
          experiment,
          target.name,
          timedOut ? 'timeout' : 'unavailable',
          seconds(),
        );
      })
      .finally(() => {
        clearTimeout(timer);
        this.inFlight--;
      });
  }
}
