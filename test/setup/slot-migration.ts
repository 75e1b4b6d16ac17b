// Moves one hash slot of a local Redis Cluster from its master to another, step by step, the way
// `redis-cli --cluster reshard` does (CLUSTER SETSLOT IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE), so a
// test can pause with the slot's keys split between the two masters.
import { Redis } from 'ioredis';

async function onNode<T>(port: number, run: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await run(client);
  } finally {
    client.disconnect();
  }
}

export class SlotMigration {
  private constructor(
    readonly slot: number,
    readonly from: number,
    readonly to: number,
    private readonly toId: string,
  ) {}

  /** Opens the migration of `key`'s slot from the master on port `from` to the master on port `to`. */
  static async start(key: string, from: number, to: number): Promise<SlotMigration> {
    const slot = Number(await onNode(from, (c) => c.cluster('KEYSLOT', key)));
    const fromId = String(await onNode(from, (c) => c.cluster('MYID')));
    const toId = String(await onNode(to, (c) => c.cluster('MYID')));
    await onNode(to, (c) => c.cluster('SETSLOT', slot, 'IMPORTING', fromId));
    await onNode(from, (c) => c.cluster('SETSLOT', slot, 'MIGRATING', toId));
    return new SlotMigration(slot, from, to, toId);
  }

  /** Keys of the slot still on the source master. */
  async keysLeft(): Promise<string[]> {
    return onNode(this.from, (c) => c.cluster('GETKEYSINSLOT', this.slot, 100_000) as Promise<string[]>);
  }

  /** Moves these keys (of the slot) to the target master, as one MIGRATE … KEYS. */
  async move(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await onNode(this.from, (c) => c.call('MIGRATE', '127.0.0.1', this.to, '', 0, 10_000, 'KEYS', ...keys));
  }

  /**
   * Moves every key left (looping, as keys may still be created on the source), then gives the slot to
   * the target on the target, the source and every other master in `masters`.
   */
  async finish(masters: readonly number[]): Promise<void> {
    for (let keys = await this.keysLeft(); keys.length > 0; keys = await this.keysLeft())
      await this.move(keys);
    await onNode(this.to, (c) => c.cluster('SETSLOT', this.slot, 'NODE', this.toId));
    await onNode(this.from, (c) => c.cluster('SETSLOT', this.slot, 'NODE', this.toId));
    for (const port of masters.filter((p) => p !== this.from && p !== this.to)) {
      await onNode(port, (c) => c.cluster('SETSLOT', this.slot, 'NODE', this.toId));
    }
  }
}
