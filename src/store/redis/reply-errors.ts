// Sorts failures of Redis commands: transient ones retry without limit, other error replies a few times.

const TRANSIENT_REPLY =
  /^(NOSCRIPT|LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN|OOM|MOVED|ASK|NOREPLICAS|UNBLOCKED)\b/;

/** An error reply from the server (not a connection error or timeout). */
export function isReplyError(err: Error): boolean {
  return err.name === 'ReplyError';
}

/** The server does not have the script: load it and retry. */
export function isNoScript(err: Error): boolean {
  return isReplyError(err) && err.message.startsWith('NOSCRIPT');
}

/** A failure that retrying the same command cannot fix. */
export function isPermanentFailure(err: Error): boolean {
  return isReplyError(err) && !TRANSIENT_REPLY.test(err.message);
}
