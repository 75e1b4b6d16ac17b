// Starts and controls a real local Redis Cluster (masters + replicas, each its own redis-server child
// process on a free port with its own temp dir) for tests and benchmarks.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisServer } from './redis-server.js';

export const REDIS_CLI_MISSING_MESSAGE =
  'redis-cli is not installed (needed to create a Redis Cluster): run `apt-get install -y redis-tools`';

/** True when `redis-cli` can be run from PATH. */
export function redisCliAvailable(): boolean {
  const r = spawnSync('redis-cli', ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

export interface RedisClusterOptions {
  /** @default 3 */
  readonly masters?: number;
  /** Replicas of each master. @default 1 */
  readonly replicasPerMaster?: number;
  /** cluster-node-timeout: how long a silent master takes to be failed over, ms. @default 1000 */
  readonly nodeTimeoutMs?: number;
  /** Longest wait for the cluster to be ok (at start, after a failover). @default 30000 */
  readonly readyTimeoutMs?: number;
  /** Append-only file fsynced on every write, so killing and restarting every node keeps the data. @default false */
  readonly appendOnly?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one command on one node over a short-lived connection. */
async function onNode<T>(port: number, run: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
    commandTimeout: 2000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await run(client);
  } finally {
    client.disconnect();
  }
}

function infoField(info: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return m?.[1]?.trim();
}

interface NodeLine {
  readonly id: string;
  readonly port: number;
  readonly master: boolean;
  readonly failed: boolean;
  readonly masterId: string | undefined;
  readonly slots: readonly [number, number][];
}

/** Parses CLUSTER NODES. */
function parseNodes(text: string): NodeLine[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, addr, flags, masterId, , , , , ...slots] = line.split(' ');
      const fl = flags!.split(',');
      return {
        id: id!,
        port: Number(/:(\d+)@/.exec(addr!)?.[1]),
        master: fl.includes('master'),
        failed: fl.includes('fail') || fl.includes('fail?'),
        masterId: masterId === '-' ? undefined : masterId,
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s) => {
            const [a, b] = s.split('-');
            return [Number(a), Number(b ?? a)] as [number, number];
          }),
      };
    });
}

/**
 * A local Redis Cluster. `seedNodes` are host:port strings for ABGATE_REDIS_CLUSTER; `killMasterOf(key)`
 * crashes the master serving a key and resolves once its replica took over.
 */
export class RedisCluster {
  private constructor(
    readonly servers: readonly RedisServer[],
    private readonly options: Required<RedisClusterOptions>,
  ) {}

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    if (!redisCliAvailable()) throw new Error(REDIS_CLI_MISSING_MESSAGE);
    const o: Required<RedisClusterOptions> = {
      masters: options.masters ?? 3,
      replicasPerMaster: options.replicasPerMaster ?? 1,
      nodeTimeoutMs: options.nodeTimeoutMs ?? 1000,
      readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
      appendOnly: options.appendOnly ?? false,
    };
    if (o.masters < 3) throw new RangeError('redis-cli --cluster create needs at least 3 masters');
    const count = o.masters * (1 + o.replicasPerMaster);
    const args = [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(o.nodeTimeoutMs),
      // Replicas sync at once (Redis 7 waits 5 s for more replicas before a diskless full sync).
      '--repl-diskless-sync-delay',
      '0',
    ];
    if (!o.appendOnly) args.push('--appendonly', 'no');
    const servers = await Promise.all(
      Array.from({ length: count }, () => RedisServer.start({ args, appendOnly: o.appendOnly })),
    );
    const cluster = new RedisCluster(servers, o);
    try {
      const created = spawnSync(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...servers.map((s) => `127.0.0.1:${s.port}`),
          '--cluster-replicas',
          String(o.replicasPerMaster),
          '--cluster-yes',
        ],
        { encoding: 'utf8', timeout: o.readyTimeoutMs },
      );
      if (created.status !== 0) {
        throw new Error(`redis-cli --cluster create failed:\n${created.stdout}\n${created.stderr}`);
      }
      await cluster.waitUntilHealthy();
      return cluster;
    } catch (err) {
      await cluster.dispose();
      throw err;
    }
  }

  /** host:port of every running node (any of them is a valid seed). */
  get seedNodes(): string[] {
    return this.servers.filter((s) => s.running).map((s) => `127.0.0.1:${s.port}`);
  }

  /** The value of ABGATE_REDIS_CLUSTER / --redis-cluster for this cluster. */
  get seedSpec(): string {
    return this.seedNodes.join(',');
  }

  get ports(): number[] {
    return this.servers.map((s) => s.port);
  }

  /** Ports of the nodes that are masters now. */
  async masterPorts(): Promise<number[]> {
    const nodes = await this.nodes();
    return nodes.filter((n) => n.master && !n.failed && n.slots.length > 0).map((n) => n.port);
  }

  /** Port of the master serving `key`'s hash slot now. */
  async masterOf(key: string): Promise<number> {
    const port = this.anyRunning().port;
    const slot = await onNode(port, (c) => c.cluster('KEYSLOT', key));
    const nodes = await this.nodes();
    const master = nodes.find(
      (n) => n.master && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b),
    );
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return master.port;
  }

  /** Ports of the replicas of the master on `port`. */
  async replicasOf(port: number): Promise<number[]> {
    const nodes = await this.nodes();
    const master = nodes.find((n) => n.port === port && n.master);
    if (!master) throw new Error(`node ${port} is not a master`);
    return nodes.filter((n) => n.masterId === master.id && !n.failed).map((n) => n.port);
  }

  /** The server process on `port`. */
  server(port: number): RedisServer {
    const server = this.servers.find((s) => s.port === port);
    if (!server) throw new Error(`no node on port ${port}`);
    return server;
  }

  /**
   * Kills (SIGKILL) the master serving `key` and resolves once one of its replicas is master of its
   * slots and every running node says the cluster is ok. Returns the killed node's port.
   */
  async killMasterOf(key: string): Promise<number> {
    return this.killMaster(await this.masterOf(key));
  }

  /** Kills the master on `port` and waits for its replica's promotion (see killMasterOf). */
  async killMaster(port: number): Promise<number> {
    const before = await this.nodes();
    const victim = before.find((n) => n.port === port && n.master);
    if (!victim) throw new Error(`node ${port} is not a master`);
    await this.server(port).kill();
    await this.until(async () => {
      const nodes = await this.nodes();
      return nodes.some(
        (n) =>
          n.master &&
          !n.failed &&
          n.port !== port &&
          n.slots.length > 0 &&
          before.some((b) => b.id === n.id && b.masterId === victim.id),
      );
    }, `a replica of ${port} to be promoted`);
    await this.waitUntilHealthy();
    return port;
  }

  /** Restarts a killed node: it rejoins the cluster (as a replica of whoever took over its slots). */
  async revive(port: number): Promise<void> {
    await this.server(port).restart();
    await this.waitUntilHealthy();
  }

  /** Waits until every running node says cluster_state:ok, all slots are served and replicas are in sync. */
  async waitUntilHealthy(): Promise<void> {
    await this.until(async () => {
      for (const s of this.servers.filter((x) => x.running)) {
        const info = await onNode(s.port, (c) => c.cluster('INFO'));
        if (infoField(info, 'cluster_state') !== 'ok') return false;
        if (infoField(info, 'cluster_slots_ok') !== '16384') return false;
        const repl = await onNode(s.port, (c) => c.info('replication'));
        if (infoField(repl, 'role') === 'slave' && infoField(repl, 'master_link_status') !== 'up')
          return false;
      }
      return true;
    }, 'the cluster to be ok');
  }

  /** Stops every node and removes their dirs. */
  async dispose(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.dispose()));
  }

  private anyRunning(): RedisServer {
    const s = this.servers.find((x) => x.running);
    if (!s) throw new Error('no node is running');
    return s;
  }

  private async nodes(): Promise<NodeLine[]> {
    const text = await onNode(this.anyRunning().port, (c) => c.cluster('NODES'));
    return parseNodes(String(text));
  }

  private async until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + this.options.readyTimeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        if (await check()) return;
      } catch (err) {
        last = err;
      }
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
  }
}

export interface SharedRedisCluster {
  /** The cluster (valid inside tests and hooks). */
  cluster(): RedisCluster;
  /** host:port seeds of the running nodes. */
  seedNodes(): string[];
  /** A key prefix no other test uses. */
  uniquePrefix(): string;
}

/** Gives a test file its own Redis Cluster (3 masters + 3 replicas unless told). Call at the top of a file. */
export function useRedisCluster(options: RedisClusterOptions = {}): SharedRedisCluster {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await RedisCluster.start(options);
  }, 60_000);
  afterAll(async () => {
    await cluster?.dispose();
  });
  const get = () => {
    if (!cluster)
      throw new Error('useRedisCluster: the cluster is not started yet (use it inside tests or hooks)');
    return cluster;
  };
  return {
    cluster: get,
    seedNodes: () => get().seedNodes,
    uniquePrefix: () => `abgate-test-${randomBytes(6).toString('hex')}`,
  };
}
