// A small tmpfs to run a journal on, filled and freed on demand: a real ENOSPC from the kernel, not a fake.
// Mounting needs root (CAP_SYS_ADMIN); `canMountTmpfs()` tells whether this machine allows it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  readonly path: string;
  /** Fills every free byte (a filler file): from now on writes fail with ENOSPC. */
  fill(): void;
  /** Removes the filler. */
  free(): void;
  unmount(): void;
}

export function mountSmallDisk(sizeBytes = 4 << 20): SmallDisk {
  const path = mkdtempSync(join(tmpdir(), 'abgate-small-disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', path], {
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    rmSync(path, { recursive: true, force: true });
    throw new Error(`mount tmpfs failed: ${r.stderr || r.error?.message}`);
  }
  const filler = join(path, 'filler');
  return {
    path,
    fill() {
      const { bavail, bsize } = statfsSync(path);
      writeFileSync(filler, Buffer.alloc(Number(bavail) * Number(bsize)));
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      spawnSync('umount', ['-l', path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

let refusal: string | null | undefined;

/** Why no tmpfs can be mounted here (not root with CAP_SYS_ADMIN, no `mount`…), or null when one can. */
export function whyNoTmpfs(): string | null {
  if (refusal === undefined) {
    try {
      mountSmallDisk(64 << 10).unmount();
      refusal = null;
    } catch (err) {
      refusal = (err instanceof Error ? err.message : String(err)).trim() || 'mount tmpfs failed';
    }
  }
  return refusal;
}

/** True when a tmpfs can be mounted here (root with CAP_SYS_ADMIN). */
export function canMountTmpfs(): boolean {
  return whyNoTmpfs() === null;
}
