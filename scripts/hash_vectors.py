#!/usr/bin/env python3
"""Writes test/fixtures/hash-v1-vectors.json: pinned buckets and arms of hash version 1.

An independent pure-Python MurmurHash3 (x86, 32-bit) over the UTF-8 bytes, so the vectors
check the TypeScript implementation rather than echo it. Re-running must produce the same
file: if a change to the gateway makes these vectors fail, live users would be reshuffled;
ship a new hash_version instead.
"""
import json
import pathlib

BUCKETS = 10_000
SEEDS = {"traffic": 0x72616666, "arm": 0x61726D73}


def murmur3_32(data: bytes, seed: int) -> int:
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & 0xFFFFFFFF
    n = len(data)
    rounded = n - (n % 4)
    for i in range(0, rounded, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
        h = ((h << 13) | (h >> 19)) & 0xFFFFFFFF
        h = (h * 5 + 0xE6546B64) & 0xFFFFFFFF
    k = 0
    tail = n % 4
    if tail == 3:
        k ^= data[rounded + 2] << 16
    if tail >= 2:
        k ^= data[rounded + 1] << 8
    if tail >= 1:
        k ^= data[rounded]
        k = (k * c1) & 0xFFFFFFFF
        k = ((k << 15) | (k >> 17)) & 0xFFFFFFFF
        k = (k * c2) & 0xFFFFFFFF
        h ^= k
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def bucket(seed: str, salt: str, unit: str) -> int:
    return murmur3_32(f"{salt}:{unit}".encode("utf-8"), SEEDS[seed]) % BUCKETS


def bounds(weights):
    total = sum(weights)
    out, cum = [], 0.0
    for i, w in enumerate(weights):
        cum += w
        # JS Math.round: half rounds up
        b = BUCKETS if i == len(weights) - 1 else int((cum / total) * BUCKETS + 0.5)
        out.append(b)
    return out


def arm_index(weights, b):
    for i, ub in enumerate(bounds(weights)):
        if b < ub:
            return i
    return len(weights) - 1


def main():
    salts = ["ranker-v2", "churn-model", "exp-α", ""]
    units = ["alice", "bob", "user-1", "user-42", "12345", "ünïcødé-用户", "a" * 64, "x", "user@example.com", "0"]
    weight_sets = [[1, 1], [2, 1], [1, 2, 3], [0.1, 0.9], [33, 33, 34]]
    cases = []
    for salt in salts:
        for unit in units:
            tb, ab = bucket("traffic", salt, unit), bucket("arm", salt, unit)
            cases.append(
                {
                    "salt": salt,
                    "unit": unit,
                    "traffic_bucket": tb,
                    "arm_bucket": ab,
                    "arms": {",".join(map(str, w)): arm_index(w, ab) for w in weight_sets},
                }
            )
    # Reference values of MurmurHash3 x86_32 published with the algorithm (empty string, seeds).
    known = [
        {"input": "", "seed": 0, "hash": 0},
        {"input": "", "seed": 1, "hash": 0x514E28B7},
        {"input": "", "seed": 0xFFFFFFFF, "hash": 0x81F16F39},
        {"input": "test", "seed": 0, "hash": 0xBA6BD213},
        {"input": "Hello, world!", "seed": 1234, "hash": 0xFAF6CDB3},
        {"input": "The quick brown fox jumps over the lazy dog", "seed": 0, "hash": 0x2E4FF723},
    ]
    for k in known:
        assert murmur3_32(k["input"].encode(), k["seed"]) == k["hash"], k
    out = {"version": 1, "buckets": BUCKETS, "seeds": SEEDS, "murmur3_known": known, "cases": cases}
    path = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "hash-v1-vectors.json"
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {path}")


if __name__ == "__main__":
    main()
