// Shadow arms: a copy of each request of the arms a shadow arm shadows goes to its upstream once the
// served answer has started; the shadow's answer is read and measured, never returned to anyone. Copies
// are fire-and-forget with bounded concurrency (the excess is dropped and counted), so a slow or dead
// shadow never delays a client nor piles up memory.
import type { ServerResponse } from 'node:http';
import { Agent, request, type Dispatcher } from 'undici';
import type { ExperimentDefinition } from '../config/experiment-schema.js';
import { isTimeout } from '../proxy/upstream-errors.js';
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
  /** Where copies go through. @default its own connection pool, apart from the served arms' */
  readonly dispatcher?: Dispatcher;
  readonly metrics: ShadowMetrics;
  /** Most copies in flight at once (this process). */
  readonly concurrency: number;
  /** Share of copies whose answer body is compared with the served one. @default 0 */
  readonly compareRate?: number;
  /** @default Math.random */
  readonly random?: () => number;
  /** Monotonic clock in ms. @default performance.now */
  readonly monotonic?: () => number;
}

/** Largest served body kept for a comparison; longer ones are not compared. */
const MAX_COMPARED_BYTES = 1 << 20;

/**
 * The served body as the client gets it, or undefined when it failed or was too long: the response's
 * own write() and end() record what passes (on this one response only, for a sampled comparison).
 */
function collect(res: ServerResponse): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const keep = (chunk: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      bytes += b.length;
      if (bytes <= MAX_COMPARED_BYTES) chunks.push(b);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.write = ((...args: unknown[]) => {
      keep(args[0]);
      return write(...args);
    }) as ServerResponse['write'];
    res.end = ((...args: unknown[]) => {
      keep(args[0]);
      return end(...args);
    }) as ServerResponse['end'];
    res.once('close', () =>
      resolve(res.writableFinished && bytes <= MAX_COMPARED_BYTES ? Buffer.concat(chunks) : undefined),
    );
  });
}

export class ShadowMirror {
  private inFlight = 0;
  private readonly monotonic: () => number;
  private readonly random: () => number;
  private readonly dispatcher: Dispatcher;
  private readonly ownDispatcher: Agent | undefined;

  constructor(private readonly options: ShadowMirrorOptions) {
    this.monotonic = options.monotonic ?? (() => performance.now());
    this.random = options.random ?? Math.random;
    this.ownDispatcher = options.dispatcher ? undefined : new Agent({ keepAliveTimeout: 4_000 });
    this.dispatcher = options.dispatcher ?? this.ownDispatcher!;
  }

  /** Closes its own connection pool (copies in flight are cut). */
  async close(): Promise<void> {
    await this.ownDispatcher?.destroy();
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
   * `served`: the client's response, head written, body not yet: for the sampled comparison.
   * Returns at once; never throws.
   */
  mirror(
    def: ExperimentDefinition,
    servedArm: string,
    method: string,
    headers: Readonly<Record<string, string | string[]>>,
    path: string,
    body: Buffer | null,
    served?: ServerResponse,
  ): void {
    let servedBody: Promise<Buffer | undefined> | undefined;
    for (const target of targetsOf(def)) {
      if (!target.shadows.has(servedArm)) continue;
      if (this.inFlight >= this.options.concurrency) {
        this.options.metrics.dropped(def.id, target.name);
        continue;
      }
      const compare = served !== undefined && this.random() < (this.options.compareRate ?? 0);
      if (compare) servedBody ??= collect(served);
      this.send(def.id, target, method, headers, path, body, compare ? servedBody : undefined);
    }
  }

  private send(
    experiment: string,
    target: ShadowTarget,
    method: string,
    headers: Readonly<Record<string, string | string[]>>,
    path: string,
    body: Buffer | null,
    servedBody: Promise<Buffer | undefined> | undefined,
  ): void {
    this.inFlight++;
    const started = this.monotonic();
    const joined = target.basePath + path;
    const seconds = () => (this.monotonic() - started) / 1000;
    const signal = AbortSignal.timeout(target.timeoutMs);
    request(`${target.origin}${joined === '' || joined.startsWith('?') ? `/${joined}` : joined}`, {
      dispatcher: this.dispatcher,
      method: method as Dispatcher.HttpMethod,
      headers: { ...headers, 'x-abgate-arm': target.name, 'x-abgate-shadow': '1' },
      body,
      signal,
      headersTimeout: target.timeoutMs,
      bodyTimeout: target.timeoutMs,
    })
      .then(async (response) => {
        const s = seconds();
        this.options.metrics.observe(experiment, target.name, statusClass(response.statusCode), s);
        if (!servedBody) return void (await response.body.dump());
        const own = Buffer.from(await response.body.arrayBuffer());
        const theirs = await servedBody;
        if (theirs !== undefined) this.options.metrics.compared(experiment, target.name, own.equals(theirs));
      })
      .catch((err: unknown) => {
        const timedOut = signal.aborted || isTimeout(err);
        this.options.metrics.observe(
          experiment,
          target.name,
          timedOut ? 'timeout' : 'unavailable',
          seconds(),
        );
      })
      .finally(() => {
        this.inFlight--;
      });
  }
}
