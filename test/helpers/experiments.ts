// Experiment documents for tests: a running two-arm experiment at /<id>, and a folder of them on disk.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Upstreams nothing listens on, for tests that never proxy. */
export const NO_UPSTREAMS: [string, string] = ['http://127.0.0.1:9/a', 'http://127.0.0.1:9/b'];

/** A running experiment at `/<id>` with arms control and treatment; `overrides` replace any field. */
export function twoArmExperiment(
  id: string,
  upstreams: [string, string] = NO_UPSTREAMS,
  overrides: Record<string, unknown> = {},
) {
  return {
    id,
    status: 'running',
    route: { path: `/${id}` },
    arms: [
      { name: 'control', upstream: upstreams[0] },
      { name: 'treatment', upstream: upstreams[1] },
    ],
    ...overrides,
  };
}

/** Writes each document to `<id>.json` in a new temporary folder and returns the folder. */
export async function experimentsDir(docs: readonly { id: string }[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'abgate-exp-'));
  await Promise.all(docs.map((d) => writeFile(join(dir, `${d.id}.json`), JSON.stringify(d))));
  return dir;
}
