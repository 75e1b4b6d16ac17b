import murmurhash from 'murmurhash';
import { describe, expect, it } from 'vitest';
import vectors from '../../test/fixtures/hash-v1-vectors.json' with { type: 'json' };
import { bucketRanges, armForBucket } from './allocation.js';
import { BUCKETS, hashBucket, SEEDS } from './hash.js';

// Vectors come from an independent Python MurmurHash3 (scripts/hash_vectors.py). If these fail,
// live users would be reshuffled: add a new hash_version instead of changing version 1.
describe('hash v1 (pinned vectors)', () => {
  it('uses the seeds the vectors were made with', () => {
    expect(SEEDS).toEqual(vectors.seeds);
    expect(BUCKETS).toBe(vectors.buckets);
  });

  it.each(vectors.murmur3_known)(
    'murmurhash.v3($input, $seed) is the published value',
    ({ input, seed, hash }) => {
      expect(murmurhash.v3(input, seed)).toBe(hash);
    },
  );

  it.each(vectors.cases)('salt "$salt" unit "$unit" keeps its buckets and arms', (c) => {
    expect(hashBucket(1, 'traffic', c.salt, c.unit)).toBe(c.traffic_bucket);
    expect(hashBucket(1, 'arm', c.salt, c.unit)).toBe(c.arm_bucket);
    for (const [weights, arm] of Object.entries(c.arms)) {
      const bounds = bucketRanges(weights.split(',').map(Number));
      expect(armForBucket(bounds, c.arm_bucket), `weights ${weights}`).toBe(arm);
    }
  });
});

describe('hashBucket', () => {
  it('returns undefined for an unknown version', () => {
    expect(hashBucket(2, 'arm', 's', 'u')).toBeUndefined();
    expect(hashBucket(0, 'arm', 's', 'u')).toBeUndefined();
  });

  it('draws traffic and arm buckets with different seeds', () => {
    const same = Array.from({ length: 200 }, (_, i) => `u${i}`).filter(
      (u) => hashBucket(1, 'traffic', 's', u) === hashBucket(1, 'arm', 's', u),
    );
    expect(same.length).toBeLessThan(3);
  });
});
