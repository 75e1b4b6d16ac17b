// Who may pick an arm with x-abgate-force-arm (ABGATE_FORCE_ARM): a forced request serves the arm
// it names, so it must not be open to anyone once the gateway is meant to be closed.
import type { IncomingHttpHeaders } from 'node:http';
import type { Settings } from '../config/settings.js';
import { ApiError } from '../errors/api-error.js';
import { TokenSet } from './token-set.js';

/**
 * The header carrying a gateway token on prediction traffic. Not Authorization: that header belongs
 * to the application and its upstream, and passes through untouched.
 */
export const GATEWAY_TOKEN_HEADER = 'x-abgate-token';

export interface ForcedArmPolicy {
  readonly mode: 'always' | 'token' | 'never';
  /** Tokens that allow forcing in `token` mode. */
  readonly tokens: TokenSet;
}

/** The policy the settings ask for; `auto` is `always` while no gateway token is set, else `token`. */
export function forcedArmPolicy(settings: Settings): ForcedArmPolicy {
  const anyToken =
    settings.apiToken !== undefined ||
    settings.ingestToken !== undefined ||
    settings.adminToken !== undefined;
  const mode = settings.forceArm === 'auto' ? (anyToken ? 'token' : 'always') : settings.forceArm;
  return {
    mode,
    tokens: new TokenSet([settings.ingestToken, ...(settings.adminToken ?? []).map((t) => t.token)]),
  };
}

/** Allows any forced request: the default of a gateway built without settings (tests, embedding). */
export const ALWAYS_FORCE: ForcedArmPolicy = { mode: 'always', tokens: new TokenSet([]) };

/** 403 when this request may not force an arm; undefined when it may. */
export function forcedArmRefusal(
  policy: ForcedArmPolicy,
  headers: IncomingHttpHeaders,
): ApiError | undefined {
  if (policy.mode === 'always') return undefined;
  if (policy.mode === 'never') {
    return new ApiError(
      'forced_arm_forbidden',
      'forced arms are turned off on this gateway (ABGATE_FORCE_ARM)',
    );
  }
  const presented = headers[GATEWAY_TOKEN_HEADER];
  if (typeof presented === 'string' && policy.tokens.matches(presented)) return undefined;
  return new ApiError(
    'forced_arm_forbidden',
    presented === undefined
      ? `x-abgate-force-arm needs the gateway's ingest or admin token in ${GATEWAY_TOKEN_HEADER} (ABGATE_FORCE_ARM)`
      : `${GATEWAY_TOKEN_HEADER} does not match a token that may force arms`,
  );
}
