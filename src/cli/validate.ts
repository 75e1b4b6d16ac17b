// `abgate validate [dir]`: the same checks as start-up, exit code 1 when anything is wrong.
import { loadExperiments } from '../config/load-experiments.js';
import { parse } from './args.js';

export const VALIDATE_USAGE = `abgate validate [DIR]
  checks every experiment file in DIR (default ABGATE_EXPERIMENTS, else ./experiments) as the
  gateway does at start, with \${NAME} variables resolved from the environment;
  exits 1 listing file: field: reason for every problem`;

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
