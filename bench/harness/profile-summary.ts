// Summarises a V8 .cpuprofile (node --cpu-prof): top functions by self time, and the inclusive
// time of the gateway's hot-path functions.
//
//   node --import tsx bench/harness/profile-summary.ts bench/results/profiles/<file>.cpuprofile [top] [last-seconds]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionCost {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly selfPct: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idlePct: number;
  readonly topSelf: FunctionCost[];
  /** Inclusive time (self + callees, each sample counted once per function) of selected functions. */
  readonly inclusive: { name: string; ms: number; pct: number }[];
  /** Self time grouped by package or source area. */
  readonly byArea: { area: string; ms: number; pct: number }[];
  /** Each sample charged to the nearest enclosing feature (see FEATURES), leaf first. */
  readonly byFeature: { feature: string; ms: number; pct: number }[];
}

/**
 * Features a sample is charged to: the first frame, walking from the leaf towards the root, whose
 * URL matches. E.g. the socket write under pino's destination is "request log", the one under
 * ServerResponse.end is "client HTTP (node:http)", the one under undici is "upstream client".
 */
export const FEATURES: readonly (readonly [string, RegExp])[] = [
  ['request log (pino)', /\/(pino|sonic-boom|thread-stream)\/|\/telemetry\/request-log\.js/],
  ['metrics (prom-client)', /\/prom-client\/|\/telemetry\/metrics\.js|\/telemetry\/instrumented-store\.js/],
  ['event store (redis/memory)', /\/ioredis\/|\/redis-parser\/|\/dist\/store\//],
  ['upstream client (undici)', /\/undici\//],
  ['client HTTP (node:http)', /^node:_http_/],
  ['gateway logic', /\/dist\/(gateway|proxy|core|routing|server\.js)/],
  ['startup (module loading)', /^node:internal\/modules\//],
];

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

function areaOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === '') {
    if (frame.functionName === '(idle)') return '(idle)';
    if (frame.functionName === '(garbage collector)') return '(gc)';
    if (frame.functionName === '(program)') return '(program)';
    return '(native)';
  }
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url.split('/')[0]!.replace(/^node:internal/, 'node:internal');
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return `abgate:${url.slice(dist + 6).split('/')[0]}`;
  return url;
}

/** Functions whose inclusive time is reported when present in the profile. */
export const HOT_PATH = [
  'handle',
  'serve',
  'withFallback',
  'send',
  'upstreamHeaders',
  'endToEndHeaders',
  'recordExposure',
  'observe',
  'observeRequest',
  'requestIdFrom',
  'readUnitId',
  'decide',
  'readBounded',
  'capped',
  'request',
  'pipeline',
  'writeHead',
];

/**
 * `lastSeconds`: only the samples of the profile's last seconds (the measured window; drops start-up
 * and warm-up). @default everything
 */
export function summarize(
  profile: CpuProfile,
  top = 30,
  lastSeconds = Infinity,
  hotPath = HOT_PATH,
): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; walk back from the end to find the window's first sample.
  let first = 0;
  if (Number.isFinite(lastSeconds)) {
    let t = 0;
    for (first = profile.samples.length - 1; first > 0 && t < lastSeconds * 1e6; first--)
      t += profile.timeDeltas[first] ?? 0;
  }
  let totalUs = 0;
  for (let i = first; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }

  const fnKey = (f: CallFrame) => `${f.functionName || '(anonymous)'}\u0000${f.url}:${f.lineNumber + 1}`;
  const self = new Map<string, { frame: CallFrame; us: number }>();
  const areas = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') idleUs += us;
    const key = fnKey(frame);
    const e = self.get(key) ?? { frame, us: 0 };
    e.us += us;
    self.set(key, e);
    const area = areaOf(frame);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }

  const features = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const leaf = byId.get(id)!.callFrame;
    let feature: string | undefined;
    if (leaf.functionName === '(idle)') continue;
    if (leaf.functionName === '(garbage collector)') feature = 'garbage collection';
    else if (leaf.functionName === '(program)') feature = '(program: V8/native, unattributed)';
    for (
      let cur: number | undefined = id;
      feature === undefined && cur !== undefined;
      cur = parent.get(cur)
    ) {
      const url = byId.get(cur)!.callFrame.url;
      for (const [name, re] of FEATURES) {
        if (re.test(url)) {
          feature = name;
          break;
        }
      }
    }
    feature ??= 'other (streams, events, timers, microtasks)';
    features.set(feature, (features.get(feature) ?? 0) + us);
  }

  // Inclusive: walk each sampled node's ancestors; count a function once per sample.
  const wanted = new Set(hotPath);
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!wanted.has(f.functionName)) continue;
      const label = `${f.functionName} (${shortUrl(f.url)})`;
      if (seen.has(label)) continue;
      seen.add(label);
      inclusive.set(label, (inclusive.get(label) ?? 0) + us);
    }
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => (busyUs > 0 ? (100 * us) / busyUs : 0);
  return {
    totalMs: totalUs / 1000,
    idlePct: totalUs > 0 ? (100 * idleUs) / totalUs : 0,
    topSelf: [...self.values()]
      .filter((e) => e.frame.functionName !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({
        name: e.frame.functionName || '(anonymous)',
        where: e.frame.url ? `${shortUrl(e.frame.url)}:${e.frame.lineNumber + 1}` : '',
        selfMs: e.us / 1000,
        selfPct: pct(e.us),
      })),
    inclusive: [...inclusive.entries()]
      .filter(
        ([label]) =>
          !label.includes('(node:') || label.startsWith('pipeline') || label.startsWith('writeHead'),
      )
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([name, us]) => ({ name, ms: us / 1000, pct: pct(us) })),
    byFeature: [...features.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([feature, us]) => ({ feature, ms: us / 1000, pct: pct(us) })),
    byArea: [...areas.entries()]
      .filter(([area]) => area !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([area, us]) => ({ area, ms: us / 1000, pct: pct(us) })),
  };
}

export function formatSummary(s: ProfileSummary): string {
  const lines: string[] = [];
  lines.push(
    `profile: ${s.totalMs.toFixed(0)} ms sampled, ${s.idlePct.toFixed(1)}% idle; percentages are of busy time`,
  );
  lines.push('', 'CPU by feature (each sample charged to the nearest enclosing feature):');
  for (const f of s.byFeature) lines.push(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.feature}`);
  lines.push('', 'self time by area:');
  for (const a of s.byArea) lines.push(`  ${a.pct.toFixed(1).padStart(5)}%  ${a.area}`);
  lines.push('', 'top functions by self time:');
  for (const f of s.topSelf)
    lines.push(`  ${f.selfPct.toFixed(1).padStart(5)}%  ${f.name.padEnd(32)} ${f.where}`);
  lines.push('', 'inclusive time of hot-path functions:');
  for (const f of s.inclusive) lines.push(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.name}`);
  return lines.join('\n');
}

export function summarizeFile(path: string, top?: number, lastSeconds?: number): ProfileSummary {
  return summarize(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, top, lastSeconds);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, top, lastSeconds] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile-summary.ts <file.cpuprofile> [top] [last-seconds]');
    process.exit(2);
  }
  console.log(
    formatSummary(
      summarizeFile(file, top ? Number(top) : undefined, lastSeconds ? Number(lastSeconds) : undefined),
    ),
  );
}
