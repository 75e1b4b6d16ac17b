// The `abgate` command: dispatches to a subcommand and turns known errors into clear messages.
import { ConfigError } from '../config/config-error.js';
import { UsageError } from './args.js';
import { modelServerCommand } from './model-server.js';
import { serveCommand, SERVE_USAGE } from './serve.js';
import { startCommand } from './start.js';
import { validateCommand } from './validate.js';
import { reportCommand } from './report.js';
import { demoCommand } from './demo.js';
import { expCommand } from './exp.js';

type Command = (args: string[]) => Promise<number | undefined>;

export const COMMANDS: Readonly<Record<string, { run: Command; summary: string }>> = {
  serve: { run: serveCommand, summary: 'run the gateway' },
  start: { run: startCommand, summary: 'run the demo model variants and the gateway (npm start)' },
  validate: { run: validateCommand, summary: 'check experiment files: abgate validate [dir]' },
  report: {
    run: reportCommand,
    summary: 'print a report: abgate report <experiment> [--format table|json|csv] [--url URL]',
  },
  exp: {
    run: expCommand,
    summary: 'change a running experiment: abgate exp show|history|set|pause|resume|conclude|rollback <id>',
  },
  demo: { run: demoCommand, summary: 'simulate users and outcomes through the demo and print the report' },
  'model-server': {
    run: modelServerCommand,
    summary: 'run one demo model variant: --variant v1|v2 [--port N]',
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `usage: abgate <command> [options]\n\n${lines.join('\n')}\n\n${SERVE_USAGE}`;
}

/** Runs the CLI; resolves with an exit code, or undefined when a server keeps the process alive. */
export async function main(argv: string[]): Promise<number | undefined> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`abgate: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`abgate ${name}: ${err.message}`);
      return 1;
    }
    if (err instanceof UsageError) {
      console.error(`abgate ${name}: ${err.message}`);
      return 2;
    }
    throw err;
  }
}
