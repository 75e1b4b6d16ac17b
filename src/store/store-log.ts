// Logs what the event store reports without flooding: a state change once (Redis down / up again, the
// journal failing / writable again), then a one-line reminder at a slow rate while it lasts, and any
// other error once per kind per reminder period with how often it happened meanwhile.
import type { Logger } from 'pino';

export interface StoreLogOptions {
  /** Reminder period while a condition lasts, ms. @default 60000 */
  readonly reminderMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Connection-level failures: they describe the state "Redis unreachable", not an event of their own. */
const CONNECTION =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE|Connection is closed|Stream isn't writeable|timed out|Cluster isn't ready|None of startup nodes is available|is not reachable/i;

export class StoreLog {
  private readonly reminderMs: number;
  private readonly now: () => number;
  private down: { since: number; lastLog: number; errors: number; first: string } | undefined;
  private readonly others = new Map<string, { lastLog: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    options: StoreLogOptions = {},
  ) {
    this.reminderMs = options.reminderMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The store's connection became usable (true) or was lost (false). */
  state = (connected: boolean): void => {
    const t = this.now();
    if (connected) {
      if (this.down) {
        this.logger.info(
          { down_s: Math.round((t - this.down.since) / 1000), errors: this.down.errors },
          'event store: Redis is reachable again; journaled events are being applied',
        );
        this.down = undefined;
      }
      return;
    }
    this.markDown(t, 'connection lost');
  };

  error = (err: Error): void => {
    const t = this.now();
    if (CONNECTION.test(err.message)) {
      this.markDown(t, err.message);
      return;
    }
    if (/^the journal is writable again/.test(err.message)) {
      this.logger.info('event store: the journal is writable again');
      return;
    }
    const kind = err.message.replace(/\d+/g, '#').slice(0, 120);
    const seen = this.others.get(kind);
    if (seen && t - seen.lastLog < this.reminderMs) {
      seen.suppressed += 1;
      return;
    }
    this.logger.warn(
      {
        err: { type: err.name, message: err.message },
        ...(seen?.suppressed ? { repeated: seen.suppressed } : {}),
      },
      'event store error',
    );
    this.others.set(kind, { lastLog: t, suppressed: 0 });
  };

  private markDown(t: number, reason: string): void {
    if (!this.down) {
      this.down = { since: t, lastLog: t, errors: 1, first: reason };
      this.logger.warn(
        { reason },
        'event store: Redis is unreachable; events are kept in the journal and applied when it returns',
      );
      return;
    }
    this.down.errors += 1;
    if (t - this.down.lastLog >= this.reminderMs) {
      this.down.lastLog = t;
      this.logger.warn(
        { down_s: Math.round((t - this.down.since) / 1000), errors: this.down.errors, reason },
        'event store: Redis is still unreachable',
      );
    }
  }
}
