// `abgate validate [dir]`: the same checks as start-up, exit code 1 when anything is wrong.
import { loadExperiments } from '../config/load-experiments.js';
import { parse } from './args.js';

export async function validateCommand(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  const dir = positionals[0] ?? process.env.ABGATE_EXPERIMENTS ?? './experiments';
  const loaded = await loadExperiments(dir);
  for (const { file, definition: d } of loaded) {
    console.log(
      `ok  ${file}: ${d.id} (${d.status}) ${d.route.path} → ${d.arms.map((a) => `${a.name}:${a.weight}`).join(' ')}`,
    );
  }
  console.log(`${loaded.length} experiment file(s) valid in ${dir}`);
  return 0;
}
