// Versioned hashing of a unit id into one of BUCKETS buckets.
// A version, once shipped, never changes: changing it would reshuffle live users.
// New behaviour gets a new version number and old experiments keep theirs.
import murmurhash from 'murmurhash';

/** Number of buckets a unit can hash into (0 … BUCKETS-1). */
export const BUCKETS = 10_000;

/** The hash versions this build understands. */
export const HASH_VERSIONS = [1] as const;
export type HashVersion = (typeof HASH_VERSIONS)[number];

/**
 * Named seeds, one per purpose, so that "is the unit in the experiment?" and
 * "which arm?" are independent draws from the same salt and unit id.
 */
export const SEEDS = {
  traffic: 0x7261_6666, // "raff"
  arm: 0x6172_6d73, // "arms"
} as const;
export type SeedName = keyof typeof SEEDS;

/**
 * Bucket (0 … BUCKETS-1) of `unitId` under `salt` for the draw named `seed`.
 * Returns undefined for a hash version this build does not know.
 *
 * v1: murmurhash3 x86 32-bit of the UTF-8 bytes of `${salt}:${unitId}`, seeded, mod BUCKETS.
 */
export function hashBucket(
  version: number,
  seed: SeedName,
  salt: string,
  unitId: string,
): number | undefined {
  switch (version) {
    case 1:
      return murmurhash.v3(`${salt}:${unitId}`, SEEDS[seed]) % BUCKETS;
    default:
      return undefined;
  }
}

export function isHashVersion(version: number): version is HashVersion {
  return (HASH_VERSIONS as readonly number[]).includes(version);
}
