// Streams an upstream response body to the client: stream.pipeline() semantics for exactly two streams,
// without its per-call cost.
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

/**
 * Pipes `body` into `res` and calls `done` once: without an error when the response finished, with
 * one when the body failed (the response is then destroyed: the client sees a cut response) or the
 * client went away first (the body is then destroyed, which cancels the upstream request).
 *
 * Why not `stream.pipeline(body, res, done)`: on Node 20 each pipeline() call creates an
 * AbortController and aborts it when done, which builds a DOMException with a stack trace; with its
 * end-of-stream bookkeeping that was ~10% of the gateway's CPU per request in profiles
 * (`npm run bench -- --cpu-prof`). Plain pipe() plus these two listeners does the same job.
 */
export function pipeResponse(body: Readable, res: ServerResponse, done: (err?: Error) => void): void {
  let failure: Error | undefined;
  // Stays attached: a late error must never become an uncaught exception.
  body.on('error', (err: Error) => {
    failure ??= err;
    if (!res.writableFinished) res.destroy(err);
  });
  // A ServerResponse always emits 'close': right after 'finish', or when the connection dropped first.
  res.once('close', () => {
    if (res.writableFinished) return done();
    if (!body.destroyed) body.destroy();
    done(failure ?? prematureClose());
  });
  body.pipe(res);
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}
