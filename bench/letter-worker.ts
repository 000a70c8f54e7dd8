/**
 * One process of `bench letters`: `node --import tsx bench/letter-worker.ts jpeg|pdf FILE RUNS`.
 * Times the processor's checks and the raw floor on the same bytes, interleaved, after one
 * warm-up of each; prints { processorMs[], rawMs[], peakRssMb }.
 */
import { readFileSync } from 'node:fs';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { ContentLetterInspector } from '../lib/adapters/content-letter-inspector.js';

const [kind, file, runsArg] = process.argv.slice(2);
const bytes = new Uint8Array(readFileSync(file!));
const runs = Number(runsArg);
const inspector = new ContentLetterInspector();

/** What the processor asks of the inspector for an accepted letter. */
async function processor(): Promise<void> {
  const verdict = await inspector.inspect(bytes, kind === 'pdf' ? ['pdf'] : ['jpg']);
  if (!verdict.ok) throw new Error(`the bench letter was rejected: ${verdict.code} ${verdict.detail}`);
  if (kind !== 'pdf') await inspector.thumbnail(bytes, 'jpg');
}

/** The floor: decode every pixel once and make the same thumbnail; or parse the PDF once. */
async function raw(): Promise<void> {
  if (kind === 'pdf') {
    await PDFDocument.load(bytes, { updateMetadata: false });
    return;
  }
  await sharp(bytes).raw().toBuffer();
  await sharp(bytes).resize({ width: 400, withoutEnlargement: true }).webp({ quality: 75 }).toBuffer();
}

async function timed(run: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await run();
  return performance.now() - t;
}

await processor();
await raw();
const processorMs: number[] = [];
const rawMs: number[] = [];
for (let i = 0; i < runs; i++) {
  processorMs.push(await timed(processor));
  rawMs.push(await timed(raw));
}
process.stdout.write(`${JSON.stringify({ processorMs, rawMs, peakRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
process.exit(0);
