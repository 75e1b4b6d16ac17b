// `abgate exp`: show, change and audit a running experiment through a gateway's live-control API.
import { request } from 'undici';
import { parseAdminTokens } from '../config/settings.js';
import { parse, UsageError } from './args.js';

export const EXP_USAGE = `abgate exp <command> <experiment> [options]
  show <id>                          live state: status, traffic, weights, phase, conflicts with the file
  history <id>                       every change, oldest first (who, when, what, why)
  set <id> [--traffic P] [--weights arm=w,...] [--status S] [--winner arm]
  start <id>                         draft → running
  pause <id>                         everyone on control, no new exposures (outcomes still count)
  resume <id>                        paused → running
  conclude <id> --winner <arm>       the winner serves everyone; no more exposures
  rollback <id>                      control serves everyone; no more exposures
options:
  --url URL        the gateway (default $ABGATE_URL or http://localhost:8080)
  --token T        admin token (default $ABGATE_ADMIN_TOKEN; reads also accept $ABGATE_API_TOKEN)
  --reason TEXT    why, recorded in the history
  --if-match V     change only if the experiment is still at version V (default: the version just read)
  --json           print the API's JSON answer`;

const FLAGS = {
  url: { type: 'string' },
  token: { type: 'string' },
  reason: { type: 'string' },
  traffic: { type: 'string' },
  weights: { type: 'string' },
  status: { type: 'string' },
  winner: { type: 'string' },
  'if-match': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface View {
  id: string;
  status: string;
  traffic: number;
  route: { path: string };
  arms: { name: string; weight: number; control: boolean }[];
  winner?: string;
  changed?: boolean;
  live: {
    version: number;
    status_since: string | null;
    phase: number;
    phase_started_at: string | null;
    synced: boolean;
    file: string;
    file_hash: string;
    conflicts: { field: string; live: unknown; file: unknown }[];
  } | null;
}

interface StateView {
  status: string;
  traffic: number;
  weights: Record<string, number>;
  winner: string | null;
  phase: number;
}

interface HistoryItem {
  version: number;
  at: string;
  actor: string;
  source: string;
  reason: string | null;
  changes: string[];
  before: StateView | null;
  after: StateView;
  file?: string;
  conflicts?: { field: string; live: unknown; file: unknown }[];
}

/** A gateway answered with an error, or could not be reached: exit 1 with its message. */
class GatewayError extends Error {
  override readonly name = 'GatewayError';
}

class Client {
  constructor(
    private readonly url: string,
    private readonly token: string | undefined,
  ) {}

  async call<T>(method: 'GET' | 'PATCH', path: string, body?: unknown, ifMatch?: string): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (ifMatch !== undefined) headers['if-match'] = `"${ifMatch}"`;
    let res;
    try {
      res = await request(`${this.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new GatewayError(`cannot reach ${this.url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new GatewayError(`${this.url} answered ${res.statusCode} with something other than JSON`);
    }
    if (res.statusCode >= 400) {
      const e = (json as { error?: { code?: string; message?: string } }).error;
      const hint =
        res.statusCode === 401 || res.statusCode === 403
          ? ' (give an admin token: --token or ABGATE_ADMIN_TOKEN)'
          : '';
      throw new GatewayError(`${res.statusCode} ${e?.code ?? 'error'}: ${e?.message ?? text}${hint}`);
    }
    return json as T;
  }
}

function number(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`--${flag} must be a number, not "${value}"`);
  return n;
}

/** "control=1,treatment=3" → { control: 1, treatment: 3 } */
export function parseWeights(value: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const part of value.split(',')) {
    const [arm, w, extra] = part.split('=');
    if (!arm?.trim() || w === undefined || extra !== undefined) {
      throw new UsageError(`--weights must look like control=1,treatment=3, not "${value}"`);
    }
    weights[arm.trim()] = number(w, 'weights');
  }
  return weights;
}

function describeWeights(w: Record<string, number>): string {
  return Object.entries(w)
    .map(([arm, x]) => `${arm} ${x}`)
    .join(', ');
}

/** What changed between two states, in words: "traffic 10% → 50%; status running → paused". */
export function describeChange(before: StateView | null, after: StateView): string {
  if (before === null) {
    return `${after.status}, traffic ${after.traffic}%, weights ${describeWeights(after.weights)}`;
  }
  const parts: string[] = [];
  if (before.status !== after.status) parts.push(`status ${before.status} → ${after.status}`);
  if (before.winner !== after.winner && after.winner !== null) parts.push(`winner ${after.winner}`);
  if (before.traffic !== after.traffic) parts.push(`traffic ${before.traffic}% → ${after.traffic}%`);
  if (describeWeights(before.weights) !== describeWeights(after.weights)) {
    parts.push(`weights ${describeWeights(before.weights)} → ${describeWeights(after.weights)}`);
  }
  if (before.phase !== after.phase) parts.push(`new phase ${after.phase}`);
  return parts.join('; ') || 'no change to the live fields';
}

function stateOf(v: View): StateView {
  return {
    status: v.status,
    traffic: v.traffic,
    weights: Object.fromEntries(v.arms.map((a) => [a.name, a.weight])),
    winner: v.winner ?? null,
    phase: v.live?.phase ?? 1,
  };
}

function showText(v: View): string {
  const live = v.live;
  const lines = [
    `${v.id}  ${v.status}${v.winner ? ` (winner ${v.winner})` : ''}${live?.status_since ? ` since ${live.status_since}` : ''}  version ${live?.version ?? 0}`,
    `  traffic    ${v.traffic}%`,
    `  weights    ${describeWeights(stateOf(v).weights)}`,
    `  phase      ${live?.phase ?? 1}${live?.phase_started_at ? ` since ${live.phase_started_at}` : ''}`,
    `  route      ${v.route.path}`,
  ];
  if (live) {
    lines.push(`  file       ${live.file} (content ${live.file_hash})`);
    if (!live.synced)
      lines.push('  note       the gateway has not reached its live state store yet: file values shown');
    for (const c of live.conflicts) {
      lines.push(
        `  conflict   ${c.field}: live ${String(c.live)}, file ${String(c.file)} (the live value wins)`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function historyText(items: HistoryItem[]): string {
  const rows = items.map((h) => [
    String(h.version),
    h.at.replace(/\.\d+Z$/, 'Z'),
    h.actor,
    h.source === 'file' && h.before === null
      ? `loaded: ${describeChange(null, h.after)}`
      : describeChange(h.before, h.after),
    [
      h.reason ?? '',
      ...(h.conflicts ?? []).map((c) => `(kept live ${c.field} ${String(c.live)}, file ${String(c.file)})`),
    ]
      .filter(Boolean)
      .join(' '),
  ]);
  const all = [['version', 'at', 'actor', 'change', 'reason'], ...rows];
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return (
    all
      .map((r) =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

type Patch = { status?: string; traffic?: number; weights?: Record<string, number>; winner?: string };

function patchFor(command: string, values: Record<string, string | boolean | undefined>): Patch {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const winner = str('winner');
  switch (command) {
    case 'start':
    case 'resume':
      return { status: 'running' };
    case 'pause':
      return { status: 'paused' };
    case 'rollback':
      return { status: 'rolled_back' };
    case 'conclude':
      if (!winner)
        throw new UsageError('conclude needs --winner <arm>: the arm that serves everyone from now on');
      return { status: 'concluded', winner };
    case 'set': {
      const patch: Patch = {};
      const traffic = str('traffic');
      const weights = str('weights');
      const status = str('status');
      if (traffic !== undefined) patch.traffic = number(traffic.replace(/%$/, ''), 'traffic');
      if (weights !== undefined) patch.weights = parseWeights(weights);
      if (status !== undefined) patch.status = status;
      if (winner !== undefined) patch.winner = winner;
      if (Object.keys(patch).length === 0) {
        throw new UsageError('set needs at least one of --traffic, --weights, --status, --winner');
      }
      return patch;
    }
    default:
      throw new UsageError(`unknown exp command "${command}"\n${EXP_USAGE}`);
  }
}

const COMMANDS = ['show', 'history', 'set', 'start', 'pause', 'resume', 'conclude', 'rollback'];

/** Where the command reads its environment and writes; tests pass their own. */
export interface ExpIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  out(text: string): void;
  err(text: string): void;
}

const PROCESS_IO: ExpIo = {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export async function expCommand(args: string[], io: ExpIo = PROCESS_IO): Promise<number> {
  const { values, positionals } = parse(args, FLAGS);
  const [command, id, ...extra] = positionals;
  const out = io.out;
  if (values.help || command === undefined) {
    out(`${EXP_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown exp command "${command}"\n${EXP_USAGE}`);
  if (!id) throw new UsageError(`which experiment? abgate exp ${command} <experiment>`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const url = (values.url ?? io.env.ABGATE_URL ?? 'http://localhost:8080').replace(/\/$/, '');
  const writing = command !== 'show' && command !== 'history';
  // The gateway's ABGATE_ADMIN_TOKEN may list `label:token` entries: send the first token itself.
  const envAdmin = io.env.ABGATE_ADMIN_TOKEN;
  const adminToken = envAdmin === undefined ? undefined : (parseAdminTokens(envAdmin)[0]?.token ?? envAdmin);
  const token = values.token ?? adminToken ?? (writing ? undefined : io.env.ABGATE_API_TOKEN);
  const client = new Client(url, token || undefined);
  const path = `/api/v1/experiments/${encodeURIComponent(id)}`;
  try {
    if (command === 'history') {
      const body = await client.call<{ history: HistoryItem[] }>('GET', `${path}/history`);
      out(values.json ? JSON.stringify(body, null, 2) + '\n' : historyText(body.history));
      return 0;
    }
    const patch = writing ? patchFor(command, values) : undefined;
    const before = await client.call<View>('GET', path);
    if (!patch) {
      out(values.json ? JSON.stringify(before, null, 2) + '\n' : showText(before));
      return 0;
    }
    const ifMatch = values['if-match'] ?? String(before.live?.version ?? 0);
    const body = { ...patch, ...(values.reason !== undefined ? { reason: values.reason } : {}) };
    const after = await client.call<View>('PATCH', path, body, ifMatch);
    if (values.json) out(JSON.stringify(after, null, 2) + '\n');
    else if (!after.changed) out(`${id}: unchanged (version ${after.live?.version ?? 0})\n`);
    else {
      out(
        `${id}: ${describeChange(stateOf(before), stateOf(after))} (version ${before.live?.version ?? 0} → ${after.live?.version ?? 0})\n`,
      );
    }
    return 0;
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    let message = err.message;
    if (/^412 /.test(message))
      message += '\n  (someone changed it since it was read; check `abgate exp show` and run again)';
    io.err(`abgate exp ${command} ${id}: ${message}\n`);
    return 1;
  }
}
