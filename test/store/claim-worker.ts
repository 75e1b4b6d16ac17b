// A child process for the concurrent-claim test: waits for a shared start time, opens an EventBacklog
// over a journal folder (which claims what it can), drains it, and prints the events it got as JSON.
// Run: node --import tsx test/store/claim-worker.ts <dir> <instanceId> <start ms since epoch>
import { EventBacklog, type JournalCodec } from '../../src/store/journal/event-backlog.js';

const codec: JournalCodec<number> = {
  encode: (n) => JSON.stringify({ n }),
  decode: (line) => (JSON.parse(line) as { n: number }).n,
};

const [dir, instanceId, startAt] = process.argv.slice(2);
if (!dir || !instanceId || !startAt) throw new Error('usage: claim-worker <dir> <instanceId> <startAt>');
while (Date.now() < Number(startAt)) {
  // spin: both workers open their backlog within microseconds of each other
}
const backlog = new EventBacklog<number>({ dir, instanceId, memoryLimit: 1000, codec });
const events: number[] = [];
for (;;) {
  const items = backlog.peek(500);
  if (items.length === 0) break;
  events.push(...items.map((i) => i.event));
  backlog.ack(items.length);
}
backlog.persist();
process.stdout.write(JSON.stringify(events));
