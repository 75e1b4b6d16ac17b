// What is running: the package version, the Node version and, when known, the git commit
// (for `abgate --version` and the abgate_build_info metric). Read once, from files only.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  readonly version: string;
  readonly nodeVersion: string;
  /** Full commit hash, or undefined when neither a REVISION file nor a git checkout says. */
  readonly commit: string | undefined;
}

/** The package root: src/ and dist/ both sit one level below it. */
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const HASH = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The commit of HEAD in the git checkout at `root` (plain files: no git binary needed). */
export function gitCommit(root: string): string | undefined {
  let gitDir = join(root, '.git');
  const pointer = readText(gitDir);
  // A worktree or submodule: `.git` is a file "gitdir: <path>".
  if (pointer?.startsWith('gitdir:')) {
    const target = pointer.slice('gitdir:'.length).trim();
    gitDir = isAbsolute(target) ? target : join(root, target);
  }
  const head = readText(join(gitDir, 'HEAD'));
  if (head === undefined) return undefined;
  if (HASH.test(head)) return head;
  const ref = /^ref: (\S+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  const common = readText(join(gitDir, 'commondir'));
  const commonDir = common === undefined ? gitDir : isAbsolute(common) ? common : join(gitDir, common);
  for (const dir of [gitDir, commonDir]) {
    const loose = readText(join(dir, ref));
    if (loose && HASH.test(loose)) return loose;
    const packed = readText(join(dir, 'packed-refs'));
    const line = packed?.split('\n').find((l) => l.endsWith(` ${ref}`));
    const hash = line?.split(' ')[0];
    if (hash && HASH.test(hash)) return hash;
  }
  return undefined;
}

let cached: BuildInfo | undefined;

/**
 * Version from package.json; commit from a REVISION file at the package root (the Docker build
 * writes it from its GIT_COMMIT build argument), else from the git checkout, else unknown.
 */
export function buildInfo(root = ROOT): BuildInfo {
  if (root === ROOT && cached) return cached;
  const pkg = JSON.parse(readText(join(root, 'package.json')) ?? '{}') as { version?: string };
  const revision = readText(join(root, 'REVISION'));
  const info: BuildInfo = {
    version: pkg.version ?? 'unknown',
    nodeVersion: process.version,
    commit: revision && HASH.test(revision) ? revision : gitCommit(root),
  };
  if (root === ROOT) cached = info;
  return info;
}
