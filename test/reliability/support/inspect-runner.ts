import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContentLetterInspector } from '../../../lib/adapters/content-letter-inspector.js';
import type { LetterType } from '../../../lib/domain/revocation.js';

/**
 * Runs the letter processor's content check over a corpus in a process of its own, so that a
 * file that crashes it (a native fault in a decoder, an abort on out-of-memory) kills only this
 * process, and the parent can tell which file did it and measure this process's peak RSS.
 *
 * Usage: node --import tsx inspect-runner.ts <dir>. `<dir>/manifest.json` lists
 * `{ name, allowed }` entries; each file is `<dir>/<name>`. Files are inspected one at a time,
 * as the processor does. One JSON line per event on stdout:
 *   {"event":"start","name"}                         before a file (the last one seen names a crash)
 *   {"event":"result","name","outcome","code"?,"detail","ms","rssMiB"}
 *   {"event":"done","files","maxRssKiB"}             at the end
 */

export interface ManifestEntry {
  name: string;
  allowed: LetterType[];
}

export type RunnerEvent =
  | { event: 'start'; name: string }
  | { event: 'result'; name: string; outcome: 'accepted' | 'rejected' | 'threw'; code?: string; detail: string; ms: number; rssMiB: number }
  | { event: 'done'; files: number; maxRssKiB: number };

function emit(event: RunnerEvent): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function main(dir: string): Promise<void> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ManifestEntry[];
  const inspector = new ContentLetterInspector();
  for (const { name, allowed } of manifest) {
    emit({ event: 'start', name });
    const bytes = new Uint8Array(await readFile(join(dir, name)));
    const started = performance.now();
    let result: Omit<Extract<RunnerEvent, { event: 'result' }>, 'event' | 'name' | 'ms' | 'rssMiB'>;
    try {
      const verdict = await inspector.inspect(bytes, allowed);
      result = verdict.ok
        ? { outcome: 'accepted', detail: `${verdict.type}${verdict.pages ? `, ${verdict.pages} page(s)` : ''}` }
        : { outcome: 'rejected', code: verdict.code, detail: verdict.detail };
    } catch (error) {
      // `inspect` throws only for the processor's own failures; the parent fails the test on it.
      result = { outcome: 'threw', detail: error instanceof Error ? error.message : String(error) };
    }
    const ms = Math.round(performance.now() - started);
    emit({ event: 'result', name, ...result, ms, rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20) });
  }
  // getrusage's peak covers the whole process: main thread, PDF workers and libvips' threads.
  emit({ event: 'done', files: manifest.length, maxRssKiB: process.resourceUsage().maxRSS });
}

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: inspect-runner.ts <dir with manifest.json>\n');
  process.exit(2);
}
await main(dir);
