// /metrics under `--workers N`: the worker that gets the scrape asks the primary, which gathers
// every worker's registry over IPC (prom-client's AggregatorRegistry) and sums them.
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const REQUEST = 'abgate:metrics:req';
const RESPONSE = 'abgate:metrics:res';

interface MetricsMessage {
  type: string;
  id: number;
  text?: string;
  error?: string;
}

function isMetricsMessage(m: unknown, type: string): m is MetricsMessage {
  return typeof m === 'object' && m !== null && (m as MetricsMessage).type === type;
}

/** Primary: answer workers' requests with the cluster-wide aggregate. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isMetricsMessage(message, REQUEST)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id: message.id, text }),
      (err: unknown) => worker.send({ type: RESPONSE, id: message.id, error: String(err) }),
    );
  });
}

/**
 * Worker: expose `registry` to the primary's aggregation and return a function that fetches the
 * cluster-wide metrics (falling back to this worker's own after `timeoutMs`).
 */
export function clusterMetricsFetcher(registry: Registry, timeoutMs = 5_000): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // registers the worker-side IPC listener
  let next = 0;
  const pending = new Map<number, (text: string | undefined) => void>();
  process.on('message', (message: unknown) => {
    if (!isMetricsMessage(message, RESPONSE)) return;
    pending.get(message.id)?.(message.text);
    pending.delete(message.id);
  });
  return () =>
    new Promise<string>((resolve) => {
      const id = next++;
      const timer = setTimeout(() => {
        pending.delete(id);
        void registry.metrics().then(resolve);
      }, timeoutMs);
      pending.set(id, (text) => {
        clearTimeout(timer);
        if (text !== undefined) resolve(text);
        else void registry.metrics().then(resolve);
      });
      process.send!({ type: REQUEST, id });
    });
}
