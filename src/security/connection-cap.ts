// The default cap on concurrent client connections: half the open-file limit, so a flood of slow
// clients cannot take the descriptors the gateway needs for upstreams, Redis and its journal.
import { readFileSync } from 'node:fs';

/** Descriptors kept aside for everything that is not a client or upstream connection. */
const RESERVED_FDS = 256;

/**
 * Cap for an open-file limit: each client connection may hold an upstream connection too, hence half
 * of what is left after the reserve. 0 (no cap) when the limit is unknown or unlimited.
 */
export function connectionCapFor(openFileLimit: number | undefined): number {
  if (openFileLimit === undefined || !Number.isFinite(openFileLimit)) return 0;
  return Math.max(64, Math.floor((openFileLimit - RESERVED_FDS) / 2));
}

/** The soft open-file limit from /proc/self/limits text (Linux); undefined when absent or unlimited. */
export function parseOpenFileLimit(limits: string): number | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(limits);
  if (!m || m[1] === 'unlimited') return undefined;
  return Number(m[1]);
}

/** This process's cap (Node raises the soft limit to the hard one at start); 0 where it cannot be read. */
export function defaultConnectionCap(
  read: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number {
  try {
    return connectionCapFor(parseOpenFileLimit(read()));
  } catch {
    return 0;
  }
}
