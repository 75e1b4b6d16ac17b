// Raw HTTP/1.x over a TCP socket, for requests no HTTP client would send (smuggling, HTTP/0.9,
// backslashes in paths, duplicate Host) and for clients that misbehave on purpose (slow bodies).
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** Status of the first response, 0 when the connection closed without one. */
  readonly status: number;
  /** Every byte received until the connection closed. */
  readonly text: string;
  /** Header lines of the first response, lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  /** Body of the first response (up to the next status line, if any). */
  readonly body: string;
  /** Status lines received: more than one means the connection carried more than one response. */
  readonly responses: number;
}

/** The payload of a chunked body (chunk extensions and trailers ignored). */
function dechunk(text: string): string {
  let out = '';
  let at = 0;
  for (;;) {
    const eol = text.indexOf('\r\n', at);
    if (eol === -1) return out;
    const size = parseInt(text.slice(at, eol), 16);
    if (!(size > 0)) return out;
    out += text.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

/** Parses what came back on a connection. */
export function parseRaw(text: string): RawAnswer {
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  const end = text.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of (end === -1 ? '' : text.slice(0, end)).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = end === -1 ? '' : text.slice(end + 4);
  const length = headers['content-length'];
  const body =
    headers['transfer-encoding'] === 'chunked'
      ? dechunk(rest)
      : length === undefined
        ? rest
        : rest.slice(0, Number(length));
  return { status, text, headers, body, responses: text.match(/^HTTP\/1\.[01] \d{3}/gm)?.length ?? 0 };
}

/** Opens a connection to `baseUrl` (http://host:port). */
export function openRaw(baseUrl: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything `socket` receives until it closes (errors such as a reset end it too). */
export function collect(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
  });
}

/**
 * Sends `raw` on a new connection and returns what came back once the server closed it: requests
 * should ask for `Connection: close`. After `deadlineMs` the connection is dropped (a test failure).
 */
export async function rawRequest(
  baseUrl: string,
  raw: string | Buffer,
  deadlineMs = 5_000,
): Promise<RawAnswer> {
  const socket = await openRaw(baseUrl);
  const done = collect(socket);
  const timer = setTimeout(() => socket.destroy(), deadlineMs);
  socket.write(raw);
  const text = await done;
  clearTimeout(timer);
  return parseRaw(text);
}
