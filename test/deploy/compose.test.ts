// The deployment files agree with the code: docker-compose.yml, Dockerfile, deploy/prometheus.yml,
// deploy/experiments/ and the load-test presets are checked against the settings schema, the
// CLI, the experiment loader and the demo model server, so none of them can drift silently.
// Nothing here needs Docker: the files are parsed (with compose's ${VAR:-default} interpolation)
// and compared.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { basename, join } from 'node:path';
import jstatPkg from 'jstat';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadExperiments, type LoadedExperiment } from '../../src/config/load-experiments.js';
import { loadSettings, SETTINGS_ENV, type Settings } from '../../src/config/settings.js';
import { interpolateDocument, referencedVariables, type Environment } from '../../src/config/interpolate.js';
import { MODELS, VARIANTS } from '../../src/demo/models.js';
import { parseWeights } from '../../loadtest/lib/env.js';
import { PRESETS } from '../../loadtest/lib/presets.js';
import { chiSquareSurvival, normalQuantile, srmBands, srmTest } from '../../loadtest/lib/stats.js';
import { cliCommands, cliProblems } from '../helpers/cli-surface.js';

const { jStat } = jstatPkg;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Environment variables the experiment files of a folder refer to. */
function experimentVariables(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .flatMap((f) => referencedVariables(read(join(dir, f))).map((v) => v.name));
}

// ── the files ─────────────────────────────────────────────────────────────────────────────────
type Port = string | number | { target: number | string; published?: number | string };
type Volume = string | { type?: string; source?: string; target: string; read_only?: boolean };
interface Service {
  image?: string;
  pull_policy?: string;
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, string> };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Port[];
  volumes?: Volume[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** docker-compose.yml as compose sees it with `env` in the shell: merge keys, ${VAR:-default}. */
function composeWith(env: Environment): Compose {
  const { value, problems } = interpolateDocument(parse(read('docker-compose.yml'), { merge: true }), env);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.field}: ${p.message}`).join('\n'));
  return value as Compose;
}

const compose = composeWith({});
const services = compose.services;
const gateway = services.gateway!;

/** A service's environment as strings, whichever of the two compose forms it uses. */
function environmentOf(service: Service): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(service.environment)) {
    for (const item of service.environment) {
      const eq = item.indexOf('=');
      if (eq > 0) env[item.slice(0, eq)] = item.slice(eq + 1);
    }
  } else {
    for (const [k, v] of Object.entries(service.environment ?? {})) {
      if (v !== null && v !== undefined) env[k] = String(v);
    }
  }
  return env;
}

/** Bind mounts and named volumes as { source, target }. */
function volumesOf(service: Service): { source: string; target: string }[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target };
    const [source = '', target = ''] = v.split(':');
    return { source, target };
  });
}

/** Container ports a service publishes on the host: [{ hostIp, published, target }]. */
function portsOf(service: Service): { hostIp: string; published: number; target: number }[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p === 'object')
      return { hostIp: '', published: Number(p.published ?? p.target), target: Number(p.target) };
    const parts = String(p).split('/')[0]!.split(':');
    const target = Number(parts[parts.length - 1]);
    const published = parts.length > 1 ? Number(parts[parts.length - 2]) : target;
    return { hostIp: parts.length > 2 ? parts.slice(0, -2).join(':') : '', published, target };
  });
}

function commandOf(service: Service): string[] {
  const c = service.command;
  return c === undefined ? [] : Array.isArray(c) ? c.map(String) : c.split(/\s+/);
}

function flagValue(command: readonly string[], flag: string): string | undefined {
  const i = command.indexOf(flag);
  return i === -1 ? undefined : command[i + 1];
}

/** Seconds in a compose duration such as "35s", "1m30s", "500ms". */
function seconds(duration: string): number {
  let total = 0;
  for (const m of duration.matchAll(/(\d+(?:\.\d+)?)(ms|us|s|m|h)/g)) {
    const unit = m[2]!;
    const scale = unit === 'h' ? 3600 : unit === 'm' ? 60 : unit === 's' ? 1 : unit === 'ms' ? 1e-3 : 1e-6;
    total += Number(m[1]) * scale;
  }
  return total;
}

// Dockerfile: the last stage is the image that runs.
const dockerfile = read('Dockerfile');
const lastStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
const dockerWorkdir = [...lastStage.matchAll(/^WORKDIR\s+(\S+)/gm)].pop()?.[1] ?? '/';
const dockerExpose = [...lastStage.matchAll(/^EXPOSE\s+(.+)$/gm)].flatMap((m) =>
  m[1]!.trim().split(/\s+/).map(Number),
);
const dockerCmd = JSON.parse(/^CMD\s+(\[.*\])\s*$/m.exec(lastStage)?.[1] ?? '[]') as string[];
const dockerEnvValues: Record<string, string> = Object.fromEntries(
  [...lastStage.matchAll(/^ENV\s+((?:.*\\\n)*.*)$/gm)].flatMap((m) =>
    [...m[1]!.matchAll(/([A-Z_][A-Z0-9_]*)=(\S*)/g)].map((x) => [x[1]!, x[2]!]),
  ),
);
const dockerEnv = Object.keys(dockerEnvValues);
/** Base image of every stage, e.g. ["node:24-slim", "node:24-slim"]. */
const dockerBases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
const dockerHasHealthcheck = /^HEALTHCHECK\s+(?!NONE)/m.test(lastStage);
/** What the image's COPY lines put where: one { source, target } per source (not COPY --from). */
const dockerCopies = [...lastStage.matchAll(/^COPY\s+(?!--from)(.+)$/gm)].flatMap((m) => {
  const args = m[1]!
    .trim()
    .split(/\s+/)
    .filter((a) => !a.startsWith('--'));
  const dest = args.pop()!;
  const base = dest.startsWith('/') ? dest : join(dockerWorkdir, dest);
  return args.map((source) => ({
    source: source.replace(/\/$/, ''),
    target: dest.endsWith('/') || args.length > 1 ? join(base, basename(source)) : base,
  }));
});

const builtFromDockerfile = (s: Service) => s.build !== undefined || s.image === builtImage();
/** The image the one service with a build section produces. */
function builtImage(): string | undefined {
  return Object.values(services).find((s) => s.build !== undefined)?.image;
}
const isAbgate = (s: Service) => commandOf(s)[1] === 'bin/abgate.js';
const modelServices = Object.entries(services).filter(([, s]) => commandOf(s)[2] === 'model-server');

/** The gateway settings compose produces (defaults when they are invalid: that has its own test). */
const gatewayEnv = environmentOf(gateway);
let settingsError: unknown;
let settings: Settings;
try {
  settings = loadSettings(gatewayEnv);
} catch (err) {
  settingsError = err;
  settings = loadSettings({});
}

// ── tests ─────────────────────────────────────────────────────────────────────────────────────
describe('docker-compose.yml', () => {
  it('defines redis, both model variants, the gateway and prometheus', () => {
    expect(Object.keys(services).sort()).toEqual(['gateway', 'model-v1', 'model-v2', 'prometheus', 'redis']);
  });

  it('sets on the gateway only environment variables the code or its experiment files read', () => {
    const known = new Set([...Object.values(SETTINGS_ENV), ...experimentVariables('deploy/experiments')]);
    const unknown = Object.keys(gatewayEnv).filter((name) => !known.has(name));
    expect(unknown, `not in SETTINGS_ENV (src/config/settings.ts): ${unknown.join(', ')}`).toEqual([]);
  });

  it('gives the gateway values that pass the settings schema', () => {
    expect(settingsError, String(settingsError)).toBeUndefined();
    expect(settings.redisUrl).toBeDefined();
  });

  it('publishes the port the gateway listens on (PORT) and the image exposes', () => {
    const ports = portsOf(gateway);
    expect(ports.map((p) => p.target)).toContain(settings.port);
    expect(dockerExpose).toContain(settings.port);
  });

  it('publishes ports on 127.0.0.1 only, unless ABGATE_PUBLISH_ADDR says otherwise', () => {
    const published = Object.entries(services).flatMap(([name, s]) =>
      portsOf(s).map((p) => [name, p] as const),
    );
    expect(published.length).toBeGreaterThan(0);
    for (const [name, p] of published) expect(p.hostIp, `${name}: ${p.published}`).toBe('127.0.0.1');
    const everywhere = composeWith({ ABGATE_PUBLISH_ADDR: '0.0.0.0' }).services;
    for (const [name, s] of Object.entries(everywhere))
      for (const p of portsOf(s)) expect(p.hostIp, `${name}: ${p.published}`).toBe('0.0.0.0');
  });

  it('pins Redis and Prometheus to specific versions', () => {
    expect(services.redis!.image).toMatch(/^redis:\d+\.\d+\.\d+(-[a-z0-9.]+)?$/);
    expect(services.prometheus!.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
  });

  it('points REDIS_URL at the redis service, which keeps an append-only file on a volume', () => {
    const url = new URL(settings.redisUrl!);
    expect(Object.keys(services)).toContain(url.hostname);
    const redis = services[url.hostname]!;
    const redisCommand = commandOf(redis);
    const redisPort = Number(flagValue(redisCommand, '--port') ?? 6379);
    expect(Number(url.port || 6379)).toBe(redisPort);
    expect(flagValue(redisCommand, '--appendonly')).toBe('yes');
    const data = volumesOf(redis).find((v) => v.target === '/data');
    expect(data && Object.keys(compose.volumes ?? {})).toContain(data!.source);
  });

  it('serves the experiments folder it mounts from deploy/experiments (and the image copies)', () => {
    const dir = settings.experimentsDir;
    const mount = volumesOf(gateway).find((v) => v.target === dir);
    expect(mount, `no volume mounted at ABGATE_EXPERIMENTS=${dir}`).toBeDefined();
    expect(mount!.source.replace(/^\.\//, '')).toBe('deploy/experiments');
    expect(dockerCopies).toContainEqual({ source: 'deploy/experiments', target: dir });
  });

  it('keeps the journal of unsent events on a named volume', () => {
    const mount = volumesOf(gateway).find((v) => v.target === settings.journalDir);
    expect(mount, `no volume at ABGATE_JOURNAL_DIR=${settings.journalDir}`).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(mount!.source);
  });

  it('runs only subcommands and flags the CLI has', () => {
    expect(cliCommands.length, 'could not read COMMANDS from src/cli/main.ts').toBeGreaterThan(0);
    const commands = Object.entries(services)
      .filter(([, s]) => isAbgate(s))
      .map(([name, s]) => [name, commandOf(s)] as const);
    commands.push(['Dockerfile CMD', dockerCmd]);
    expect(commands.map(([name]) => name).sort()).toEqual([
      'Dockerfile CMD',
      'gateway',
      'model-v1',
      'model-v2',
    ]);
    for (const [name, command] of commands) expect(cliProblems(command), name).toEqual([]);
    expect(dockerCmd).toEqual(['node', 'bin/abgate.js', 'serve']);
  });

  it('runs each demo model variant once, listening on all interfaces', () => {
    const variants = modelServices.map(([, s]) => flagValue(commandOf(s), '--variant'));
    expect([...variants].sort()).toEqual([...VARIANTS].sort());
    for (const [name, s] of modelServices) {
      expect(flagValue(commandOf(s), '--host'), name).toBe('0.0.0.0');
      expect(Number(flagValue(commandOf(s), '--port')), name).toBeGreaterThan(0);
    }
  });

  it('writes healthchecks as exec arrays of strings, probing the port each server listens on', () => {
    for (const [name, s] of Object.entries(services)) {
      const test = s.healthcheck?.test;
      if (test === undefined) continue;
      expect(Array.isArray(test), `${name}: healthcheck.test should be an array`).toBe(true);
      for (const arg of test as unknown[])
        expect(typeof arg, `${name}: ${JSON.stringify(arg)}`).toBe('string');
      expect(['CMD', 'CMD-SHELL'], name).toContain((test as string[])[0]);
    }
    for (const [name, s] of modelServices) {
      const port = flagValue(commandOf(s), '--port');
      expect((s.healthcheck?.test as string[]).join(' '), name).toContain(`127.0.0.1:${port}/healthz`);
    }
  });

  it('starts the gateway after its dependencies are healthy', () => {
    const deps = gateway.depends_on;
    expect(deps && !Array.isArray(deps)).toBe(true);
    const conditions = deps as Record<string, { condition?: string }>;
    const upstreamServices = modelServices.map(([name]) => name);
    const redisHost = new URL(settings.redisUrl!).hostname;
    for (const name of [redisHost, ...upstreamServices]) {
      expect(conditions[name]?.condition, `gateway depends_on ${name}`).toBe('service_healthy');
    }
    // Every service waited on as healthy has a healthcheck (its own, or the image's).
    for (const [name, s] of Object.entries(services)) {
      const d = s.depends_on;
      if (!d || Array.isArray(d)) continue;
      for (const [dep, { condition }] of Object.entries(d)) {
        if (condition !== 'service_healthy') continue;
        const target = services[dep]!;
        const has =
          target.healthcheck?.test !== undefined || (builtFromDockerfile(target) && dockerHasHealthcheck);
        expect(has, `${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`).toBe(true);
      }
    }
  });

  it('gives the gateway longer to stop than its own shutdown timeout', () => {
    expect(gateway.stop_grace_period).toBeDefined();
    expect(seconds(gateway.stop_grace_period!) * 1000).toBeGreaterThan(settings.shutdownTimeoutMs);
  });

  it('builds the image once and runs every abgate service from it', () => {
    const abgate = Object.entries(services).filter(([, s]) => isAbgate(s));
    expect(new Set(abgate.map(([, s]) => s.image)).size).toBe(1);
    const builders = Object.entries(services).filter(([, s]) => s.build !== undefined);
    expect(builders.map(([name]) => name)).toEqual(['gateway']);
    expect(gateway.pull_policy).toBe('build');
    for (const [name, s] of abgate) {
      if (s.build !== undefined) continue;
      // Never pulled: the image only exists once the gateway service has built it.
      expect(s.pull_policy, name).toBe('never');
    }
    const args = typeof gateway.build === 'object' ? gateway.build.args : undefined;
    expect(Object.keys(args ?? {})).toEqual(['GIT_COMMIT']);
    expect(dockerfile).toMatch(/^ARG GIT_COMMIT/m);
  });
});

/** Node.js LTS lines and the end of their support (nodejs.org release schedule). */
const NODE_LTS_END: Record<number, string> = {
  20: '2026-04-30',
  22: '2027-04-30',
  24: '2028-04-30',
  26: '2029-04-30',
};

describe('Dockerfile', () => {
  it('builds and runs on a Node LTS line supported well past this release (2026-11)', () => {
    expect(dockerBases.length).toBe(2);
    const majors = dockerBases.map((b) => Number(/^node:(\d+)(?:[.-]|$)/.exec(b)?.[1]));
    expect(new Set(majors).size, dockerBases.join(', ')).toBe(1);
    const end = NODE_LTS_END[majors[0]!];
    expect(end, `node ${majors[0]} is not an LTS line`).toBeDefined();
    expect(end! > '2027-06-01', `node ${majors[0]} support ends ${end}`).toBe(true);
    // Users running the package directly keep the engines range.
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('>=20.19.0');
  });

  it("makes the container experiments the image's default, valid with the image's settings", async () => {
    const dir = dockerEnvValues.ABGATE_EXPERIMENTS!;
    expect(dockerCopies).toContainEqual({ source: 'deploy/experiments', target: dir });
    // Nothing but the image's own environment: the hosts default to the compose model services.
    const loaded = await loadExperiments(join(ROOT, 'deploy/experiments'), { env: dockerEnvValues });
    const hosts = new Set(loaded.flatMap((l) => l.definition.arms.map((a) => new URL(a.upstream).hostname)));
    expect([...hosts].sort()).toEqual(modelServices.map(([name]) => name).sort());
  });

  it('sets only environment variables the gateway reads (besides NODE_ENV)', () => {
    const known = new Set([...Object.values(SETTINGS_ENV), 'NODE_ENV']);
    expect(dockerEnv.filter((v) => !known.has(v))).toEqual([]);
  });

  it('runs as a non-root user with a healthcheck on /healthz at PORT', () => {
    expect(/^USER\s+(?!root\b|0\b)\S+/m.test(lastStage)).toBe(true);
    expect(dockerHasHealthcheck).toBe(true);
    expect(/^HEALTHCHECK[\s\S]*?\/healthz/m.test(lastStage)).toBe(true);
  });

  it('copies what the CLI needs at run time', () => {
    for (const path of ['bin', 'experiments', 'deploy/experiments', 'package.json', 'package-lock.json']) {
      expect(
        dockerCopies.map((c) => c.source),
        path,
      ).toContain(path);
    }
    expect(/^COPY\s+--from=\S+\s+\S*dist\s/m.test(lastStage)).toBe(true);
  });
});

describe('deploy/prometheus.yml', () => {
  interface ScrapeConfig {
    job_name: string;
    metrics_path?: string;
    scheme?: string;
    static_configs?: { targets: string[] }[];
  }
  const prometheus = parse(read('deploy/prometheus.yml')) as { scrape_configs: ScrapeConfig[] };

  it('is the file the prometheus service loads', () => {
    const mount = volumesOf(services.prometheus!).find((v) => v.target === '/etc/prometheus/prometheus.yml');
    expect(mount?.source.replace(/^\.\//, '')).toBe('deploy/prometheus.yml');
  });

  it('loads the alert rules from deploy/grafana/alerts.yml, mounted where it says', () => {
    const config = parse(read('deploy/prometheus.yml')) as { rule_files?: string[] };
    const mounts = volumesOf(services.prometheus!);
    for (const file of config.rule_files ?? []) {
      const mount = mounts.find((v) => v.target === file);
      expect(mount, `nothing mounted at ${file}`).toBeDefined();
      expect(existsSync(join(ROOT, mount!.source))).toBe(true);
    }
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  });

  it("scrapes the gateway's service name and port at /metrics", () => {
    const targets = prometheus.scrape_configs.flatMap((c) =>
      (c.static_configs ?? []).flatMap((s) =>
        s.targets.map((t) => ({ target: t, path: c.metrics_path ?? '/metrics', scheme: c.scheme ?? 'http' })),
      ),
    );
    expect(targets).toContainEqual({ target: `gateway:${settings.port}`, path: '/metrics', scheme: 'http' });
  });
});

describe('deploy/experiments', () => {
  const modelPorts = new Map(
    modelServices.map(([name, s]) => [name, Number(flagValue(commandOf(s), '--port'))]),
  );

  it('validates with the gateway loader, with upstreams on the model services', async () => {
    const loaded = await loadExperiments(join(ROOT, 'deploy/experiments'), {
      env: { ...dockerEnvValues, ...gatewayEnv },
    });
    expect(loaded.length).toBeGreaterThan(0);
    for (const { definition } of loaded) {
      for (const arm of definition.arms) {
        const url = new URL(arm.upstream);
        const where = `${definition.id}/${arm.name}: ${arm.upstream}`;
        expect([...modelPorts.keys()], where).toContain(url.hostname);
        expect(Number(url.port || 80), where).toBe(modelPorts.get(url.hostname));
        expect(Object.keys(MODELS), `${where}: the demo model server has no such model`).toContain(
          url.pathname.replace(/^\//, ''),
        );
      }
    }
  });

  it.skipIf(!existsSync(join(ROOT, 'experiments')))(
    'are the shipped experiments, differing only in the default model hosts',
    async () => {
      const byId = (list: LoadedExperiment[]) =>
        Object.fromEntries(list.map(({ definition }) => [definition.id, definition]));
      // With the hosts and ports given, both folders must load to the very same definitions.
      const env = {
        ABGATE_MODEL_V1_HOST: 'h1.example',
        ABGATE_MODEL_V1_PORT: '7001',
        ABGATE_MODEL_V2_HOST: 'h2.example',
        ABGATE_MODEL_V2_PORT: '7002',
      };
      const shipped = byId(await loadExperiments(join(ROOT, 'experiments'), { env }));
      const deployed = byId(await loadExperiments(join(ROOT, 'deploy/experiments'), { env }));
      expect(Object.keys(deployed).sort()).toEqual(Object.keys(shipped).sort());
      expect(deployed).toEqual(shipped);
      // And without them, the shipped ones reach the demo models of `npm start`.
      const local = await loadExperiments(join(ROOT, 'experiments'), { env: {} });
      for (const { definition } of local)
        for (const a of definition.arms) expect(a.upstream).toMatch(/^http:\/\/127\.0\.0\.1:900[12]\//);
    },
  );
});

describe('load test presets (loadtest/lib/presets.js)', () => {
  it('match the experiments they drive: route, arms, weights, control, traffic, metrics', async () => {
    const loaded = await loadExperiments(join(ROOT, 'deploy/experiments'));
    const byId = new Map(loaded.map(({ definition }) => [definition.id, definition]));
    for (const [id, preset] of Object.entries(PRESETS)) {
      const d = byId.get(id);
      expect(d, `no experiment "${id}" for the load-test preset`).toBeDefined();
      expect(preset.route).toBe(d!.route.path);
      expect(parseWeights(preset.weights)).toEqual(d!.arms.map((a) => ({ name: a.name, weight: a.weight })));
      expect(preset.control).toBe(d!.arms.find((a) => a.control)!.name);
      expect(preset.traffic).toBe(d!.traffic);
      expect(preset.metrics).toEqual(Object.fromEntries(d!.metrics.map((m) => [m.name, m.type])));
    }
  });
});

describe('load test statistics (loadtest/lib/stats.js)', () => {
  it('computes chi-square p-values and normal quantiles like jstat', () => {
    for (const df of [1, 2, 3, 5, 10]) {
      for (const x of [0.01, 0.5, 1, 3.84, 6.63, 10.83, 20]) {
        expect(chiSquareSurvival(x, df)).toBeCloseTo(1 - jStat.chisquare.cdf(x, df), 8);
      }
    }
    for (const p of [1e-6, 0.0005, 0.025, 0.3, 0.5, 0.9, 0.975, 0.9995]) {
      expect(normalQuantile(p)).toBeCloseTo(jStat.normal.inv(p, 0, 1), 6);
    }
  });

  it('makes the two-arm threshold band exactly the chi-square test at alpha', () => {
    const alpha = 0.001;
    const n = 12_000;
    const [band] = srmBands([0.5, 0.5], n, 0, alpha);
    // A split exactly on the band's edge has p-value alpha.
    const share = 0.5 + band!.halfWidth;
    const atEdge = srmTest([n * share, n * (1 - share)], [0.5, 0.5], 0);
    expect(atEdge.chiSquare).toBeCloseTo(jStat.chisquare.inv(1 - alpha, 1), 6);
    expect(atEdge.pValue).toBeCloseTo(alpha, 9);
  });

  it('widens the test for a finite user pool by the design effect 1 + n/users', () => {
    const plain = srmTest([5100, 4900], [0.5, 0.5], 0);
    const pooled = srmTest([5100, 4900], [0.5, 0.5], 10_000);
    expect(plain.chiSquare).toBeCloseTo(4, 10);
    expect(pooled.designEffect).toBe(2);
    expect(pooled.chiSquareAdjusted).toBeCloseTo(2, 10);
    expect(pooled.pValue).toBeCloseTo(1 - jStat.chisquare.cdf(2, 1), 8);
  });
});
