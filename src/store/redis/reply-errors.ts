// Sorts failures of Redis commands. Conservative on purpose: only an error tied to one event's data may
// ever give that event up; anything else (server conditions, unknown replies, lost connections) retries.
//
// Server conditions such as MISCONF (AOF/RDB write failed, e.g. disk full), NOAUTH, WRONGPASS, NOPERM,
// READONLY, MASTERDOWN, CLUSTERDOWN, TRYAGAIN, BUSY, OOM, NOREPLICAS or LOADING say nothing about the
// event being written: once the operator fixes the server, the same command succeeds. Giving events up on
// them would silently drop a whole outage's worth of traffic.

/** Error-reply code the apply script raises, before any write, for input it refuses (see lua/apply.lua). */
export const BAD_EVENT_CODE = 'ABGATE_BADEVENT';

/** Error-reply code the apply script raises, before any write, naming keys the call must also declare. */
export const UNDECLARED_KEYS_CODE = 'ABGATE_KEYS';

const UNDECLARED_KEYS_REPLY = new RegExp(
  `^(?:ERR Error running script [^:]*: @user_script:\\d+: )?${UNDECLARED_KEYS_CODE} (.*?)(?: script: .*)?$`,
);

/** The keys an ABGATE_KEYS reply names (the call wrote nothing: declare them and send it again). */
export function undeclaredKeysOf(err: Error): string[] | undefined {
  if (!isReplyError(err)) return undefined;
  const m = UNDECLARED_KEYS_REPLY.exec(err.message);
  return m ? m[1]!.split(' ').filter(Boolean) : undefined;
}

/**
 * Replies that name a fault of the data one event touches. Redis 7 keeps the code of an error raised by a
 * command inside a script ("WRONGTYPE … script: <sha>, on @user_script:1."); older servers wrap it
 * ("ERR Error running script (call to f_<sha>): @user_script:1: WRONGTYPE …"), hence the optional prefix.
 */
const EVENT_FAULT_REPLY = new RegExp(
  '^(?:ERR Error running script [^:]*: @user_script:\\d+: )?(?:' +
    [
      `${BAD_EVENT_CODE}\\b`,
      'WRONGTYPE\\b',
      'ERR value is not a valid float',
      'ERR increment would produce NaN or Infinity',
      'ERR hash value is not a(?:n integer| float)',
      'ERR value is not an integer or out of range',
    ].join('|') +
    ')',
);

/** An error reply from the server (not a connection error or timeout). */
export function isReplyError(err: Error): boolean {
  return err.name === 'ReplyError';
}

/** The server does not have the script: load it and retry. */
export function isNoScript(err: Error): boolean {
  return isReplyError(err) && err.message.startsWith('NOSCRIPT');
}

/**
 * A failure caused by the data of the events in the failed call (a bad value, a key of the wrong type):
 * retrying cannot fix it, so the event at fault is isolated and, after a few attempts, given up.
 * Every other failure is a condition of the server or the network and is retried without limit.
 */
export function isEventFault(err: Error): boolean {
  return isReplyError(err) && EVENT_FAULT_REPLY.test(err.message);
}
