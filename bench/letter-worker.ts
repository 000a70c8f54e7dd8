/**
 * One process of `bench letters`, bundled by esbuild as the processor is (so the PDF check's
 * worker thread loads a JS bundle, as in Lambda): `node letter-worker.mjs jpeg|pdf FILE RUNS`.
 * Times the processor's checks and the raw floor on the same bytes, interleaved, after both
 * have warmed up (a warm Lambda: the PDF check loaded and its parse optimised); prints
 * { processorMs[], rawMs[], hashMs[], peakRssMb }. The SHA-256 is not processor time: the letter
 * store takes it chunk by chunk during the download from S3; hashMs is what it costs on its own.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { ContentLetterInspector } from '../lib/adapters/content-letter-inspector.js';

/** Runs of each before timing. */
const WARM_UP = 30;

async function main(): Promise<void> {
  const [kind, file, runsArg] = process.argv.slice(2);
  const bytes = new Uint8Array(readFileSync(file!));
  const runs = Number(runsArg);
  const inspector = new ContentLetterInspector();

  /** What the processor asks of the inspector for an accepted letter. */
  const processor = async () => {
    const verdict = await inspector.inspect(bytes, kind === 'pdf' ? ['pdf'] : ['jpg']);
    if (!verdict.ok) throw new Error(`the bench letter was rejected: ${verdict.code} ${verdict.detail}`);
    if (kind !== 'pdf') await inspector.thumbnail(bytes, 'jpg');
  };

  /** The floor: decode every pixel once and make the same thumbnail; or parse the PDF once. */
  const raw = async () => {
    if (kind === 'pdf') {
      await PDFDocument.load(bytes, { updateMetadata: false });
      return;
    }
    await sharp(bytes).raw().toBuffer();
    await sharp(bytes).resize({ width: 400, withoutEnlargement: true }).webp({ quality: 75 }).toBuffer();
  };

  const hash = async () => void createHash('sha256').update(bytes).digest('hex');

  const timed = async (run: () => Promise<void>) => {
    const t = performance.now();
    await run();
    return performance.now() - t;
  };

  // Both warmed up to steady state first: pdf-lib's parse runs several times slower until V8 has
  // optimised it, and one warm-up left either side in that phase.
  for (let i = 0; i < WARM_UP; i++) {
    await processor();
    await raw();
  }
  const processorMs: number[] = [];
  const rawMs: number[] = [];
  const hashMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    processorMs.push(await timed(processor));
    rawMs.push(await timed(raw));
    hashMs.push(await timed(hash));
  }
  process.stdout.write(`${JSON.stringify({ processorMs, rawMs, hashMs, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
  process.exit(0);
}

// The PDF check's worker loads this bundle too: only the main thread runs the bench.
if (isMainThread) await main();
