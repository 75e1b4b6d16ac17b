// Why live control refused a change: a closed set of kinds an in-process caller can switch on
// (the HTTP layer maps them to statuses in routes/control.ts).

export type ControlErrorKind =
  | 'not_found' // no such experiment
  | 'version_mismatch' // If-Match named a version that is no longer current
  | 'invalid_transition' // the lifecycle does not allow this change in the current state
  | 'invalid_value' // a value is out of range, or the change is incomplete (conclude without winner)
  | 'unknown_arm' // weights or winner name an arm the experiment does not have
  | 'route_conflict' // starting it would route a path another experiment already serves
  | 'unavailable'; // the live state store cannot be reached

export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly kind: ControlErrorKind,
    message: string,
    /** The current version, when known (always for version_mismatch). */
    readonly currentVersion?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
