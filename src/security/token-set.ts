// Gateway tokens and their constant-time check, shared by the API's bearer guard and the proxy's
// x-abgate-token: one comparison rule for both front doors.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** A set of accepted tokens (unset ones are left out). */
export class TokenSet {
  private readonly digests: readonly Buffer[];

  constructor(tokens: readonly (string | undefined)[]) {
    this.digests = tokens.filter((t): t is string => t !== undefined && t !== '').map(digest);
  }

  /** True when no token is configured (the guarded door is open). */
  get empty(): boolean {
    return this.digests.length === 0;
  }

  /**
   * Whether `presented` is one of the tokens. Both sides are hashed first, so the comparison takes
   * the same time whatever the lengths, and every token is compared (no early exit).
   */
  matches(presented: string | undefined): boolean {
    if (presented === undefined || this.digests.length === 0) return false;
    const d = digest(presented);
    let found = false;
    for (const known of this.digests) found = timingSafeEqual(d, known) || found;
    return found;
  }
}
