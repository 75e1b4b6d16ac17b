// The `abgate` command: dispatches to a subcommand and turns known errors into clear messages.
import { buildInfo } from '../build-info.js';
import { ConfigError } from '../config/config-error.js';
import { CommandError, UsageError } from './args.js';
import { modelServerCommand, MODEL_SERVER_USAGE } from './model-server.js';
import { serveCommand, SERVE_USAGE } from './serve.js';
import { startCommand, START_USAGE } from './start.js';
import { validateCommand, VALIDATE_USAGE } from './validate.js';
import { reportCommand, REPORT_USAGE } from './report.js';
import { demoCommand, DEMO_USAGE } from './demo.js';
import { expCommand, EXP_USAGE } from './exp.js';

type Command = (args: string[]) => Promise<number | undefined>;

export const COMMANDS: Readonly<Record<string, { run: Command; summary: string; usage: string }>> = {
  serve: { run: serveCommand, summary: 'run the gateway', usage: SERVE_USAGE },
  start: {
    run: startCommand,
    summary: 'run the demo model variants and the gateway (npm start)',
    usage: START_USAGE,
  },
  validate: {
    run: validateCommand,
    summary: 'check experiment files: abgate validate [dir]',
    usage: VALIDATE_USAGE,
  },
  report: {
    run: reportCommand,
    summary: 'print a report: abgate report <experiment> [--format table|json|csv] [--url URL]',
    usage: REPORT_USAGE,
  },
  demo: {
    run: demoCommand,
    summary: 'simulate users and outcomes through the demo and print the report',
    usage: DEMO_USAGE,
  },
  exp: {
    run: expCommand,
    summary: 'change a running experiment: abgate exp show|history|set|pause|resume|conclude|rollback <id>',
    usage: EXP_USAGE,
  },
  'model-server': {
    run: modelServerCommand,
    summary: 'run one demo model variant: --variant v1|v2 [--port N]',
    usage: MODEL_SERVER_USAGE,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `usage: abgate <command> [options]\n       abgate <command> --help\n       abgate --version\n\n${lines.join('\n')}\n\n${SERVE_USAGE}`;
}

/** `abgate 0.1.0 (commit 1a2b3c4d5e6f, node v24.1.0)` */
export function versionLine(): string {
  const info = buildInfo();
  const commit = info.commit ? `commit ${info.commit.slice(0, 12)}, ` : '';
  return `abgate ${info.version} (${commit}node ${info.nodeVersion})`;
}

/** Whether the arguments ask for help (before a `--` that ends the options). */
function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** Runs the CLI; resolves with an exit code, or undefined when a server keeps the process alive. */
export async function main(argv: string[]): Promise<number | undefined> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(versionLine());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`abgate: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (wantsHelp(rest)) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CommandError) {
      console.error(`abgate ${name}: ${err.message}`);
      return 1;
    }
    if (err instanceof UsageError) {
      console.error(`abgate ${name}: ${err.message}\n\n${command.usage}`);
      return 2;
    }
    throw err;
  }
}
