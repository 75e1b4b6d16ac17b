// The body of an upstream answer, as the proxy consumes it: streamed into the client's response, or
// discarded (before a fallback).
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeResponse } from './pipe-response.js';

export interface UpstreamBody {
  /**
   * Streams the body into `res` (whose head is written) and calls `done` once: without an error when
   * the response finished, with one when the body failed (the response is then destroyed: the client
   * sees a cut response) or the client went away first (the upstream exchange is then cancelled).
   */
  pipeTo(res: ServerResponse, done: (err?: Error) => void): void;
  /** Discards the body; resolves once it ended or failed. */
  dump(): Promise<void>;
}

/** An UpstreamBody over a Readable (for Upstreams implementations built on streams). */
export function readableBody(body: Readable & { dump?: () => Promise<void> }): UpstreamBody {
  return {
    pipeTo: (res, done) => pipeResponse(body, res, done),
    dump: async () => {
      if (body.dump) return body.dump();
      body.resume();
      await new Promise<void>((resolve) => {
        body.once('end', resolve);
        body.once('error', () => resolve());
        body.once('close', resolve);
      });
    },
  };
}
