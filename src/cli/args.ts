// Small helpers over node:util parseArgs for the CLI's subcommands, and the CLI's error types.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Wrong flags or arguments: the command prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The command was used correctly but could not do its job (a port taken, a gateway or Redis that
 * cannot be reached): the command prints the message, which says what to change, and exits 1.
 */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got "${value}"`);
  return n;
}

/**
 * Why a server could not listen on `host:port`, and what to change: `flag` and `variable` name
 * the setting of the port (and of the host, for an address that is not on this machine).
 */
export function listenFailure(
  what: string,
  host: string,
  port: number,
  err: unknown,
  change: { flag: string; variable?: string; hostFlag?: string; hostVariable?: string },
): CommandError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const setting = change.variable ? `${change.flag} or ${change.variable}` : change.flag;
  const where = `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new CommandError(
        `${what} cannot listen on ${where}: port ${port} is already in use (EADDRINUSE); choose another port with ${setting}`,
      );
    case 'EACCES':
      return new CommandError(
        `${what} cannot listen on ${where}: permission denied (EACCES; ports below 1024 need privileges); choose another port with ${setting}`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new CommandError(
        `${what} cannot listen on ${where}: ${host} is not an address of this machine (${code}); change it with ${
          change.hostFlag ?? '--host'
        }${change.hostVariable ? ` or ${change.hostVariable}` : ''}`,
      );
    default:
      return new CommandError(
        `${what} cannot listen on ${where}: ${err instanceof Error ? err.message : String(err)}; choose another port with ${setting}`,
      );
  }
}
