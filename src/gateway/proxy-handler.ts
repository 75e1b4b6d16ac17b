// Prediction traffic: decide the arm, record the exposure, stream the request to the arm's upstream
// and its answer back. Works on the raw Node request/response: this is the hot path.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decide } from '../core/decision.js';
import { ApiError, toApiError } from '../errors/api-error.js';
import { isPrediction, type CompiledArm, type CompiledExperiment } from '../routing/compiled-experiment.js';
import type { RouteMatch } from '../routing/route-table.js';
import type { EventStore } from '../store/event-store.js';
import {
  statusClass,
  type AttemptResult,
  type RequestObserver,
  type UpstreamAttempt,
} from '../telemetry/request-record.js';
import { endToEndHeaders, forwardedFor, GATEWAY_REQUEST_HEADERS } from '../proxy/headers.js';
import { Cancellation } from '../proxy/cancellation.js';
import {
  BodyTooLargeError,
  capped,
  declaredLength,
  hasNoBody,
  readBounded,
  tooLarge,
} from '../proxy/request-body.js';
import {
  isRetryableStatus,
  isTimeout,
  upstreamError,
  UpstreamTimeoutError,
} from '../proxy/upstream-errors.js';
import type { UpstreamResponse, Upstreams } from '../proxy/upstream-pools.js';
import { sendError } from './node-response.js';
import { requestIdFrom, type RequestIdGenerator } from './request-id.js';
import { describeUnit, readUnitId } from './unit-id.js';
import type { GuardrailCoalescer } from './guardrail-coalescer.js';
import type { ShadowMirror } from './shadow-mirror.js';
import { ALWAYS_FORCE, forcedArmRefusal, type ForcedArmPolicy } from '../security/forced-arm.js';
import { loopError, newGatewayId, VIA_HEADER, withHop } from '../security/hops.js';

export interface ProxyHandlerDeps {
  readonly upstreams: Upstreams;
  readonly store: EventStore;
  /** Largest request body accepted, in bytes. */
  readonly maxBodyBytes: number;
  readonly requestId: RequestIdGenerator;
  /** Wall clock for exposure timestamps. @default Date.now */
  readonly now?: () => number;
  /** Monotonic clock in ms for durations. @default performance.now */
  readonly monotonic?: () => number;
  readonly observe?: RequestObserver;
  /** Who may force an arm (x-abgate-force-arm). @default anyone */
  readonly forcedArms?: ForcedArmPolicy;
  /** This gateway's id in x-abgate-via, for loop detection. @default a random id per handler */
  readonly gatewayId?: string;
  /** Where the assigned arm's errors and latency per exposed user go (built-in guardrails). */
  readonly guardrails?: Pick<GuardrailCoalescer, 'observe'>;
  /** Sends copies of requests to shadow arms (experiments that have some). */
  readonly shadows?: Pick<ShadowMirror, 'wants' | 'mirror'>;
}

interface Attempt {
  readonly response: UpstreamResponse;
  readonly arm: CompiledArm;
  readonly fallback: boolean;
}

const FORCE_HEADER = 'x-abgate-force-arm';

/** Status logged (never sent) when the client went away first, as nginx does. */
const CLIENT_CLOSED = 499;

/** The client closed the connection before the answer; there is nobody to answer. */
class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
}

function isClientGone(err: unknown, res: ServerResponse): boolean {
  return err instanceof ClientClosedError || (res.destroyed && !res.writableFinished);
}

/** Per-request state the failure path needs too: the attempt under way and what happened so far. */
interface RequestState {
  /** The attempt under way, so a client that goes away cancels it. */
  current: Cancellation | undefined;
  /** The arm the user was assigned to, once decided. */
  arm: string | undefined;
  /** Every upstream attempt so far (created on the first). */
  attempts: UpstreamAttempt[] | undefined;
  /** Not a prediction: passed to control (route.predict). */
  passthrough: boolean;
}

/** How a failed attempt ended, for metrics: the client's doing, a timeout, or an unreachable upstream. */
function failedAttemptResult(err: unknown): AttemptResult {
  if (err instanceof ClientClosedError || err instanceof BodyTooLargeError) return 'cancelled';
  return isTimeout(err) ? 'timeout' : 'unavailable';
}

function upstreamMsOf(attempts: readonly UpstreamAttempt[] | undefined): number | undefined {
  if (attempts === undefined) return undefined;
  let ms = 0;
  for (let i = 0; i < attempts.length; i++) ms += attempts[i]!.ms;
  return ms;
}

function abortOnTimeout(controller: Cancellation): void {
  controller.abort(new UpstreamTimeoutError());
}

/** Joins the upstream's base path and the rest of the request path (+ query); never empty. */
function upstreamPath(basePath: string, restAndQuery: string): string {
  const joined = basePath + restAndQuery;
  return joined === '' || joined.startsWith('?') ? `/${joined}` : joined;
}

export class ProxyHandler {
  private readonly now: () => number;
  private readonly monotonic: () => number;
  private readonly forcedArms: ForcedArmPolicy;
  private readonly gatewayId: string;

  constructor(private readonly deps: ProxyHandlerDeps) {
    this.now = deps.now ?? Date.now;
    this.monotonic = deps.monotonic ?? (() => performance.now());
    this.forcedArms = deps.forcedArms ?? ALWAYS_FORCE;
    this.gatewayId = deps.gatewayId ?? newGatewayId();
  }

  /** Serves one request for `match`; `query` is the raw query string including "?" (or ""). */
  handle(req: IncomingMessage, res: ServerResponse, match: RouteMatch, query: string): void {
    const start = this.monotonic();
    const requestId = requestIdFrom(req.headers['x-request-id'], this.deps.requestId);
    const state: RequestState = {
      current: undefined,
      arm: undefined,
      attempts: undefined,
      passthrough: false,
    };
    // A client that goes away cancels the attempt under way.
    res.once('close', () => {
      if (!res.writableFinished) state.current?.abort(new ClientClosedError());
    });
    const served = isPrediction(match.experiment, req.method ?? 'GET', match.rest)
      ? this.serve(req, res, match, query, requestId, start, state)
      : this.passThrough(req, res, match, query, requestId, start, state);
    served.catch((err: unknown) => {
      // Every failure ends here: one error answer and one record.
      this.fail(req, res, match.experiment, requestId, start, err, state);
    });
  }

  private async serve(
    req: IncomingMessage,
    res: ServerResponse,
    match: RouteMatch,
    query: string,
    requestId: string,
    start: number,
    state: RequestState,
  ): Promise<void> {
    const exp = match.experiment;
    const def = exp.definition;

    const loop = loopError(req.headers[VIA_HEADER], this.gatewayId);
    if (loop) throw loop;

    const forcedName = req.headers[FORCE_HEADER];
    let forcedIndex: number | undefined;
    if (forcedName !== undefined) {
      const refusal = forcedArmRefusal(this.forcedArms, req.headers);
      if (refusal) throw refusal;
      const name = Array.isArray(forcedName) ? forcedName[0] : forcedName;
      forcedIndex = name === undefined ? undefined : exp.armIndexByName.get(name);
      if (forcedIndex === undefined) {
        const known = exp.arms.map((a) => a.name).join(', ');
        throw new ApiError(
          'unknown_arm',
          `${FORCE_HEADER}: experiment "${exp.id}" has no arm "${name}" (arms: ${known})`,
        );
      }
    }

    const unitId = readUnitId(def.unit, req, query.length > 1 ? query.slice(1) : '');
    // Concluded and rolled-back experiments serve everyone the same arm: no user id needed.
    const needsUnit = def.status !== 'concluded' && def.status !== 'rolled_back';
    if (unitId === undefined && forcedIndex === undefined && def.missing_unit === 'reject' && needsUnit) {
      throw new ApiError(
        'missing_unit',
        `experiment "${exp.id}" needs a user id in ${describeUnit(def.unit)} (non-empty, at most 256 characters)`,
      );
    }

    const declared = declaredLength(req);
    if (declared !== undefined && declared > this.deps.maxBodyBytes) throw tooLarge(this.deps.maxBodyBytes);

    const decision = decide(exp.allocation, def.status, unitId, forcedIndex, exp.winnerIndex);
    const arm = exp.arms[decision.armIndex]!;
    state.arm = arm.name;
    // The assignment is the exposure (intention to treat), whatever the upstream answers; but a
    // request refused for its body (413) was never served, so the exposure waits for the attempt.
    const expose = () => {
      if (decision.exposure) {
        this.deps.store.recordExposure({
          experiment: exp.id,
          phase: exp.phase,
          arm: arm.name,
          userId: unitId!,
          timestamp: this.now(),
        });
        this.deps.guardrails?.observe(exp.id, exp.phase, arm.name, unitId!, state.attempts);
      } else if (decision.reason === 'forced' && unitId !== undefined) {
        // Not an exposure; the store learns the user was seen in this arm (contamination).
        this.deps.store.recordExposure({
          experiment: exp.id,
          phase: exp.phase,
          arm: arm.name,
          userId: unitId,
          timestamp: this.now(),
          forced: true,
        });
      }
    };

    const canFallBack = arm.fallbackToControl && arm !== exp.control;
    const headers = this.upstreamHeaders(req, exp, requestId);
    const path = match.rest + query;
    let attempt: Attempt;
    // Shadow arms need the body again after the answer: such experiments read it whole first.
    let copy: Buffer | null | undefined;
    try {
      if (this.deps.shadows?.wants(def)) {
        copy = hasNoBody(req) ? null : await readBounded(req, this.deps.maxBodyBytes);
      }
      attempt = canFallBack
        ? await this.withFallback(req, exp, arm, headers, path, state, copy)
        : {
            response: await this.send(
              arm,
              req.method ?? 'GET',
              headers,
              path,
              copy !== undefined ? copy : this.streamBody(req, declared),
              state,
            ),
            arm,
            fallback: false,
          };
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw tooLarge(this.deps.maxBodyBytes);
      if (isClientGone(err, res)) throw new ClientClosedError();
      expose();
      if (err instanceof ApiError) throw err;
      throw upstreamError(err, arm.name, arm.timeoutMs);
    }
    expose();

    const { response } = attempt;
    const out = endToEndHeaders(response.headers);
    out['x-abgate-experiment'] = exp.id;
    out['x-abgate-arm'] = attempt.arm.name;
    out['x-request-id'] = requestId;
    if (decision.reason === 'forced') out['x-abgate-forced'] = '1';
    if (attempt.fallback) {
      out['x-abgate-fallback'] = '1';
      out['x-abgate-assigned-arm'] = arm.name;
    }
    res.writeHead(response.statusCode, out);
    if (copy !== undefined)
      this.deps.shadows!.mirror(def, attempt.arm.name, req.method ?? 'GET', headers, path, copy, res);
    // Straight into the response, pipeline() semantics (see dispatched-response.ts).
    response.body.pipeTo(res, (err) => {
      this.deps.observe?.({
        requestId,
        method: req.method ?? 'GET',
        experiment: exp.id,
        arm: arm.name,
        ...(attempt.fallback ? { servedBy: attempt.arm.name } : {}),
        status: err && !res.writableFinished ? CLIENT_CLOSED : response.statusCode,
        upstreamMs: upstreamMsOf(state.attempts),
        attempts: state.attempts,
        totalMs: this.monotonic() - start,
        exposure: decision.exposure,
        forced: decision.reason === 'forced',
        fallback: attempt.fallback,
        ...(err ? { errorCode: 'response_stream_failed' } : {}),
      });
    });
  }

  /**
   * A request on the route that is not a prediction (route.predict), e.g. a KServe health or
   * metadata call: served by control as it is, without a unit, an assignment or an exposure.
   */
  private async passThrough(
    req: IncomingMessage,
    res: ServerResponse,
    match: RouteMatch,
    query: string,
    requestId: string,
    start: number,
    state: RequestState,
  ): Promise<void> {
    const exp = match.experiment;
    state.passthrough = true;
    const loop = loopError(req.headers[VIA_HEADER], this.gatewayId);
    if (loop) throw loop;
    const declared = declaredLength(req);
    if (declared !== undefined && declared > this.deps.maxBodyBytes) throw tooLarge(this.deps.maxBodyBytes);
    const control = exp.control;
    let response: UpstreamResponse;
    try {
      response = await this.send(
        control,
        req.method ?? 'GET',
        this.upstreamHeaders(req, exp, requestId),
        match.rest + query,
        this.streamBody(req, declared),
        state,
      );
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw tooLarge(this.deps.maxBodyBytes);
      if (isClientGone(err, res)) throw new ClientClosedError();
      throw upstreamError(err, control.name, control.timeoutMs);
    }
    const out = endToEndHeaders(response.headers);
    out['x-abgate-experiment'] = exp.id;
    out['x-abgate-arm'] = control.name;
    out['x-request-id'] = requestId;
    res.writeHead(response.statusCode, out);
    response.body.pipeTo(res, (err) => {
      this.deps.observe?.({
        requestId,
        method: req.method ?? 'GET',
        experiment: exp.id,
        servedBy: control.name,
        status: err && !res.writableFinished ? CLIENT_CLOSED : response.statusCode,
        upstreamMs: upstreamMsOf(state.attempts),
        totalMs: this.monotonic() - start,
        passthrough: true,
        ...(err ? { errorCode: 'response_stream_failed' } : {}),
      });
    });
  }

  private upstreamHeaders(req: IncomingMessage, exp: CompiledExperiment, requestId: string) {
    const headers = endToEndHeaders(req.headers, GATEWAY_REQUEST_HEADERS);
    const xff = forwardedFor(req.headers, req.socket.remoteAddress);
    if (xff !== undefined) headers['x-forwarded-for'] = xff;
    if (req.headers.host !== undefined) headers['x-forwarded-host'] = req.headers.host;
    headers['x-request-id'] = requestId;
    headers['x-abgate-experiment'] = exp.id;
    headers[VIA_HEADER] = withHop(req.headers[VIA_HEADER], this.gatewayId);
    return headers;
  }

  /** The request body as a capped stream, or null when there is none. */
  private streamBody(
    req: IncomingMessage,
    declared: number | undefined,
  ): AsyncIterable<Buffer> | IncomingMessage | null {
    if (hasNoBody(req)) return null;
    // A declared length was checked already and Node enforces it; only chunked bodies need counting.
    return declared !== undefined ? req : capped(req, this.deps.maxBodyBytes);
  }

  /** One upstream attempt, aborted after the arm's timeout (a native timer: precise to the millisecond). */
  private async send(
    arm: CompiledArm,
    method: string,
    headers: Record<string, string | string[]>,
    path: string,
    body: AsyncIterable<Buffer> | IncomingMessage | Buffer | null,
    state: RequestState,
  ): Promise<UpstreamResponse> {
    headers['x-abgate-arm'] = arm.name;
    // Not an AbortController: same surface, a fraction of the cost (see cancellation.ts).
    const controller = new Cancellation();
    state.current = controller;
    const timer = setTimeout(abortOnTimeout, arm.timeoutMs, controller);
    const started = this.monotonic();
    try {
      const response = await this.deps.upstreams.request({
        origin: arm.origin,
        path: upstreamPath(arm.basePath, path),
        method,
        headers,
        body,
        timeoutMs: arm.timeoutMs,
        signal: controller.signal,
      });
      (state.attempts ??= []).push({
        arm: arm.name,
        result: statusClass(response.statusCode),
        ms: this.monotonic() - started,
      });
      return response;
    } catch (err) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined;
      const cause =
        reason instanceof UpstreamTimeoutError || reason instanceof ClientClosedError ? reason : err;
      (state.attempts ??= []).push({
        arm: arm.name,
        result: failedAttemptResult(cause),
        ms: this.monotonic() - started,
      });
      throw cause;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Tries `arm`; on a connect error, timeout or 5xx, replays the buffered request once on control. */
  private async withFallback(
    req: IncomingMessage,
    exp: CompiledExperiment,
    arm: CompiledArm,
    headers: Record<string, string | string[]>,
    path: string,
    state: RequestState,
    read?: Buffer | null,
  ): Promise<Attempt> {
    const method = req.method ?? 'GET';
    const body =
      read !== undefined ? read : hasNoBody(req) ? null : await readBounded(req, this.deps.maxBodyBytes);
    try {
      const response = await this.send(arm, method, headers, path, body, state);
      if (!isRetryableStatus(response.statusCode)) return { response, arm, fallback: false };
      await response.body.dump();
    } catch (err) {
      // send() turns an abort into its reason: a timeout falls back, a departed client does not.
      if (err instanceof ClientClosedError) throw err;
    }
    try {
      const response = await this.send(exp.control, method, headers, path, body, state);
      return { response, arm: exp.control, fallback: true };
    } catch (err) {
      throw err instanceof ClientClosedError
        ? err
        : upstreamError(err, exp.control.name, exp.control.timeoutMs);
    }
  }

  private fail(
    req: IncomingMessage,
    res: ServerResponse,
    exp: CompiledExperiment,
    requestId: string,
    start: number,
    cause: unknown,
    state: RequestState,
  ): void {
    const base = {
      requestId,
      method: req.method ?? 'GET',
      experiment: exp.id,
      ...(state.arm !== undefined ? { arm: state.arm } : {}),
      ...(state.passthrough ? { passthrough: true } : {}),
      ...(state.attempts !== undefined
        ? { attempts: state.attempts, upstreamMs: upstreamMsOf(state.attempts) }
        : {}),
    };
    if (cause instanceof ClientClosedError) {
      // Nobody is listening: not an upstream failure, not worth an error log.
      res.destroy();
      this.deps.observe?.({
        ...base,
        status: CLIENT_CLOSED,
        totalMs: this.monotonic() - start,
        errorCode: 'client_closed',
      });
      return;
    }
    const err = toApiError(cause);
    const arm = typeof err.details?.arm === 'string' ? err.details.arm : undefined;
    const headers: Record<string, string> = { 'x-abgate-experiment': exp.id };
    if (arm !== undefined) headers['x-abgate-arm'] = arm;
    // An unread or partly read body would otherwise have to be drained before the next request.
    if (err.code === 'payload_too_large' || !req.complete) headers.connection = 'close';
    sendError(res, err, requestId, headers);
    this.deps.observe?.({
      ...base,
      // A failed fallback names control in the answer; the user stays counted in the assigned arm.
      ...(state.arm === undefined && !state.passthrough && arm !== undefined ? { arm } : {}),
      status: err.status,
      totalMs: this.monotonic() - start,
      errorCode: err.code,
      ...(err === cause ? {} : { cause }),
    });
  }
}
