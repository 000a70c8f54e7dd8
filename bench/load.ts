/**
 * The load generator of `bench api`, run as its own process so it never shares an event loop
 * with the service it measures:
 *   node --import tsx bench/load.ts http '{"url","token","connections","seconds"}'
 *   node --import tsx bench/load.ts getitem '{"endpoint","table","id","connections","seconds"}'
 * Prints one JSON line: { rps, p50, p99, errors }.
 */
import autocannon from 'autocannon';
import { createDocumentClient, GetCommand } from '../lib/adapters/dynamo-client.js';
import { keys } from '../lib/adapters/dynamo-items.js';

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function http(o: { url: string; token: string; connections: number; seconds: number }): Promise<Figures> {
  const r = await autocannon({ url: o.url, connections: o.connections, duration: o.seconds, headers: { authorization: `Bearer ${o.token}` } });
  return { rps: r.requests.total / r.duration, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx };
}

/** The same read the handler makes (a consistent GetItem of the certificate), as fast as it goes. */
async function getItem(o: { endpoint: string; table: string; id: string; connections: number; seconds: number }): Promise<Figures> {
  const db = createDocumentClient({ region: 'us-east-1', endpoint: o.endpoint });
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + o.seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        try {
          const { Item } = await db.send(new GetCommand({ TableName: o.table, Key: keys.certificate(o.id), ConsistentRead: true }));
          if (!Item) errors++;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors };
}

const [mode, args] = process.argv.slice(2);
const options = JSON.parse(args ?? '{}');
const figures = mode === 'http' ? await http(options) : mode === 'getitem' ? await getItem(options) : undefined;
if (!figures) throw new Error(`unknown mode ${mode}`);
process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);
