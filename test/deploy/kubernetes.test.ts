// deploy/kubernetes agrees with the code, like the compose test: environment variables the
// settings know, values the schema accepts, ports, probe paths the gateway answers, a grace period
// longer than the shutdown it allows, the experiments ConfigMap identical to deploy/experiments and
// valid with the pod's environment, the journal on a per-pod volume. Nothing needs a cluster;
// when kubectl is installed the kustomization is also rendered with `kubectl kustomize`.
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadExperiments } from '../../src/config/load-experiments.js';
import { referencedVariables } from '../../src/config/interpolate.js';
import { loadSettings, SETTINGS_ENV, type Settings } from '../../src/config/settings.js';
import { apiExperiment, testApp } from '../helpers/app.js';
import { cliProblems } from '../helpers/cli-surface.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'deploy/kubernetes');
const read = (path: string) => readFileSync(join(DIR, path), 'utf8');

// ── the manifests ─────────────────────────────────────────────────────────────────────────────
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean };
  volumes?: {
    name: string;
    configMap?: { name: string };
    emptyDir?: object;
    persistentVolumeClaim?: object;
  }[];
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}
interface Workload extends Manifest {
  spec: {
    replicas?: number;
    serviceName?: string;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
    volumeClaimTemplates?: { metadata: { name: string } }[];
    persistentVolumeClaimRetentionPolicy?: { whenScaled?: string; whenDeleted?: string };
  };
}
interface ServiceManifest extends Manifest {
  spec: {
    clusterIP?: string;
    selector: Record<string, string>;
    ports: { name?: string; port: number; targetPort?: string | number }[];
  };
}
interface Kustomization {
  resources: string[];
  configMapGenerator?: { name: string; files: string[] }[];
  images?: { name: string; newTag?: string }[];
}

const kustomization = parseAllDocuments(read('kustomization.yaml'))[0]!.toJS() as Kustomization;
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(read(file)).map((d) => d.toJS() as Manifest),
);
const byKind = <T extends Manifest>(kind: string) => manifests.filter((m) => m.kind === kind) as T[];
const gatewaySet = byKind<Workload>('StatefulSet').find((m) => m.metadata.name === 'abgate')!;
const pod = gatewaySet.spec.template.spec;
const container = pod.containers.find((c) => c.name === 'abgate')!;
const services = byKind<ServiceManifest>('Service');

/** The container's plain env values (secretKeyRef & co. are left out: they are optional here). */
const env: Record<string, string> = Object.fromEntries(
  (container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]),
);
let settings: Settings;
let settingsError: unknown;
try {
  settings = loadSettings(env);
} catch (err) {
  settingsError = err;
  settings = loadSettings({});
}

function namedPort(c: Container, port: string | number): number | undefined {
  return typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort;
}

function mountOf(c: Container, path: string) {
  return c.volumeMounts?.find((m) => m.mountPath === path);
}

/** Seconds the preStop hook waits before SIGTERM. */
function preStopSeconds(c: Container): number {
  const hook = c.lifecycle?.preStop;
  if (hook?.sleep) return hook.sleep.seconds;
  const cmd = hook?.exec?.command ?? [];
  return cmd[0] === 'sleep' ? Number(cmd[1]) : 0;
}

const experimentVariables = readdirSync(join(ROOT, 'deploy/experiments')).flatMap((f) =>
  referencedVariables(readFileSync(join(ROOT, 'deploy/experiments', f), 'utf8')).map((v) => v.name),
);

// ── tests ─────────────────────────────────────────────────────────────────────────────────────
describe('deploy/kubernetes', () => {
  it('lists only files that exist, each a Kubernetes object with a name', () => {
    for (const file of kustomization.resources) expect(existsSync(join(DIR, file)), file).toBe(true);
    for (const m of manifests) {
      expect(m.apiVersion, JSON.stringify(m.metadata)).toBeTruthy();
      expect(m.metadata?.name, m.kind).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    expect(manifests.map((m) => m.kind)).toEqual(
      expect.arrayContaining(['Namespace', 'StatefulSet', 'Service', 'PodDisruptionBudget']),
    );
  });

  it('sets only environment variables the code or the experiment files read, with valid values', () => {
    const known = new Set([...Object.values(SETTINGS_ENV), ...experimentVariables]);
    const unknown = (container.env ?? []).map((e) => e.name).filter((n) => !known.has(n));
    expect(unknown, `not in SETTINGS_ENV (src/config/settings.ts): ${unknown.join(', ')}`).toEqual([]);
    expect(settingsError, String(settingsError)).toBeUndefined();
  });

  it('addresses Redis Cluster by its service, not a single Redis', () => {
    expect(settings.redisCluster).toBeDefined();
    expect(settings.redisUrl).toBeUndefined();
    for (const seed of settings.redisCluster!.split(',')) expect(seed.trim()).toMatch(/^[a-z0-9.-]+:\d+$/);
  });

  it('runs `abgate serve` with subcommands and flags the CLI has', () => {
    for (const w of [...byKind<Workload>('StatefulSet'), ...byKind<Workload>('Deployment')]) {
      for (const c of w.spec.template.spec.containers) {
        const command = [...(c.command ?? []), ...(c.args ?? [])];
        expect(cliProblems(command), `${w.metadata.name}/${c.name}`).toEqual([]);
      }
    }
    expect(container.command).toEqual(['node', 'bin/abgate.js', 'serve']);
    expect(kustomization.images?.find((i) => i.name === container.image)?.newTag).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('listens on PORT and the Services send traffic there', () => {
    expect(namedPort(container, 'http')).toBe(settings.port);
    const selecting = services.filter((s) =>
      Object.entries(s.spec.selector).every(([k, v]) => gatewaySet.spec.template.metadata.labels[k] === v),
    );
    expect(selecting.map((s) => s.metadata.name).sort()).toEqual(['abgate', 'abgate-headless']);
    for (const s of selecting)
      for (const p of s.spec.ports) expect(namedPort(container, p.targetPort ?? p.port)).toBe(settings.port);
    const headless = services.find((s) => s.metadata.name === gatewaySet.spec.serviceName);
    expect(headless?.spec.clusterIP).toBe('None');
  });

  it('probes readiness at /readyz and liveness at /healthz, which the gateway answers', async () => {
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    const { app } = await testApp([apiExperiment()]);
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
      if (!probe?.httpGet) continue;
      expect(namedPort(container, probe.httpGet.port)).toBe(settings.port);
      expect((await app.request(probe.httpGet.path)).status, probe.httpGet.path).toBe(200);
    }
  });

  it('gives a stopping pod longer than the preStop pause plus ABGATE_SHUTDOWN_TIMEOUT_MS', () => {
    const pause = preStopSeconds(container);
    expect(pause).toBeGreaterThan(0);
    expect(env.ABGATE_SHUTDOWN_TIMEOUT_MS, 'set it explicitly, next to the grace period').toBeDefined();
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    // A few seconds more to flush or journal the queued events after the last request.
    expect(grace * 1000).toBeGreaterThanOrEqual(pause * 1000 + settings.shutdownTimeoutMs + 5000);
  });

  it('requests and limits resources for every container', () => {
    for (const w of [...byKind<Workload>('StatefulSet'), ...byKind<Workload>('Deployment')]) {
      for (const c of w.spec.template.spec.containers) {
        expect(c.resources?.requests?.cpu, `${w.metadata.name}/${c.name}`).toBeDefined();
        expect(c.resources?.requests?.memory, `${w.metadata.name}/${c.name}`).toBeDefined();
        expect(c.resources?.limits?.memory, `${w.metadata.name}/${c.name}`).toBeDefined();
      }
    }
  });

  it('keeps each pod’s journal on its own volume at ABGATE_JOURNAL_DIR, retained on scale-down', () => {
    const mount = mountOf(container, settings.journalDir);
    expect(mount, `nothing mounted at ABGATE_JOURNAL_DIR=${settings.journalDir}`).toBeDefined();
    expect(gatewaySet.spec.volumeClaimTemplates?.map((v) => v.metadata.name)).toContain(mount!.name);
    expect(gatewaySet.spec.persistentVolumeClaimRetentionPolicy?.whenScaled).toBe('Retain');
  });

  it('runs as non-root on a read-only root filesystem, with a writable /tmp', () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    const tmp = mountOf(container, '/tmp');
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  it('lets voluntary disruptions take at most one gateway at a time', () => {
    const pdb = byKind<
      Manifest & {
        spec: {
          maxUnavailable?: number;
          minAvailable?: number;
          selector: { matchLabels: Record<string, string> };
        };
      }
    >('PodDisruptionBudget')[0]!;
    expect(pdb.spec.selector.matchLabels).toEqual(gatewaySet.spec.selector.matchLabels);
    const replicas = gatewaySet.spec.replicas ?? 1;
    expect(replicas).toBeGreaterThanOrEqual(2);
    if (pdb.spec.maxUnavailable !== undefined) expect(pdb.spec.maxUnavailable).toBe(1);
    else expect(pdb.spec.minAvailable).toBe(replicas - 1);
  });
});

describe('deploy/kubernetes experiments ConfigMap', () => {
  const generator = kustomization.configMapGenerator?.find((g) => g.name === 'abgate-experiments');
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'abgate-k8s-exp-'));
    for (const file of generator?.files ?? []) await writeFile(join(dir, basename(file)), read(file));
  });

  it('is mounted where ABGATE_EXPERIMENTS points', () => {
    const volume = pod.volumes?.find((v) => v.configMap?.name === generator?.name);
    expect(volume).toBeDefined();
    expect(mountOf(container, settings.experimentsDir)?.name).toBe(volume!.name);
  });

  it('holds exactly the files of deploy/experiments', () => {
    const files = (generator?.files ?? []).map((f) => basename(f)).sort();
    const shipped = readdirSync(join(ROOT, 'deploy/experiments')).sort();
    expect(files).toEqual(shipped);
    for (const file of generator!.files)
      expect(read(file), file).toBe(readFileSync(join(ROOT, 'deploy/experiments', basename(file)), 'utf8'));
  });

  it("validates with the pod's environment, calling models that have a Service on that port", async () => {
    const loaded = await loadExperiments(dir, { env });
    expect(loaded.length).toBe(generator!.files.length);
    for (const { definition } of loaded) {
      for (const arm of definition.arms) {
        const url = new URL(arm.upstream);
        const service = services.find((s) => s.metadata.name === url.hostname);
        expect(service, `${definition.id}/${arm.name}: no Service ${url.hostname}`).toBeDefined();
        expect(
          service!.spec.ports.map((p) => p.port),
          arm.upstream,
        ).toContain(Number(url.port || 80));
      }
    }
  });
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!kubectl) console.warn('[skip] kubectl not found: `kubectl kustomize deploy/kubernetes` is not rendered');

describe.skipIf(!kubectl)('kubectl kustomize deploy/kubernetes', () => {
  it('renders, with the generated ConfigMap referenced by the gateways and the image tag applied', () => {
    const r = spawnSync('kubectl', ['kustomize', DIR], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const rendered = parseAllDocuments(r.stdout).map((d) => d.toJS() as Workload);
    const cm = rendered.find((m) => m.kind === 'ConfigMap')!;
    expect(cm.metadata.name).toMatch(/^abgate-experiments-[a-z0-9]+$/);
    const set = rendered.find((m) => m.kind === 'StatefulSet')!;
    expect(set.spec.template.spec.volumes?.map((v) => v.configMap?.name)).toContain(cm.metadata.name);
    expect(set.spec.template.spec.containers[0]!.image).toMatch(/^abgate:\d+\.\d+\.\d+/);
    for (const m of rendered)
      expect((m as Manifest & { metadata: { namespace?: string } }).metadata.namespace ?? 'abgate').toBe(
        'abgate',
      );
  });
});
