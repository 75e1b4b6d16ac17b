// The CLI's subcommands and flags, read from src/cli as text, for tests of deployment files that
// run `node bin/abgate.js <command> --flag …` (compose, Kubernetes): they must name real ones.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Subcommand names declared in COMMANDS of src/cli/main.ts. */
export const cliCommands: string[] = [
  ...(/COMMANDS[^=]*=\s*\{([\s\S]*?)\n\};/.exec(read('src/cli/main.ts'))?.[1] ?? '').matchAll(
    /^\s*'?([a-z][a-z-]*)'?\s*:\s*\{/gm,
  ),
].map((m) => m[1]!);

/** Whether `abgate <subcommand>` declares `--flag` (in its file, or in serve's flags it reuses). */
export function cliDeclaresFlag(subcommand: string, flag: string): boolean {
  const file = join('src/cli', `${subcommand}.ts`);
  if (!existsSync(join(ROOT, file))) return false;
  const name = flag.replace(/^--/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const declares = (text: string) => new RegExp(`(['"]?)${name}\\1\\s*:\\s*\\{\\s*type:`).test(text);
  const text = read(file);
  return declares(text) || (/\.\.\.SERVE_FLAGS/.test(text) && declares(read('src/cli/serve.ts')));
}

/** Checks `node bin/abgate.js <sub> --flags…`; returns the problems (empty when fine). */
export function cliProblems(command: readonly string[]): string[] {
  if (command[0] !== 'node' || command[1] !== 'bin/abgate.js')
    return [`not node bin/abgate.js: ${command.join(' ')}`];
  const sub = command[2] ?? '';
  if (!cliCommands.includes(sub)) return [`unknown subcommand ${sub}`];
  return command
    .filter((a) => a.startsWith('--'))
    .filter((flag) => !cliDeclaresFlag(sub, flag))
    .map((flag) => `abgate ${sub} has no ${flag}`);
}
