/**
 * `npm run bench -- letters [--runs N] [--json]`
 *
 * The letter processor's content checks on the largest letters allowed (1.4 MiB), against the
 * floor each could reach, timed inside a process of their own (the inspector bundled as the
 * processor is) after a warm-up; the PDF, a few tenths of a millisecond a check, PDF_RUNS_EACH
 * times as often in each of PDF_PROCESSES processes with the samples pooled, as one process's
 * medians of 40 moved between 0.3 and 0.5 ms from process to process, on both sides:
 * - letterJpegRatio: inspect + thumbnail of a 1.4 MiB JPEG (what processUpload asks of the
 *   inspector) ÷ a raw sharp full decode plus the same thumbnail;
 * - letterPdfRatio: inspect of a 1.4 MiB PDF (pre-scan, metered parse on the same thread) ÷ a raw
 *   `PDFDocument.load` of it;
 * - peak RSS of the process that checked the file;
 * - the SHA-256 of the file on its own (hash ms): not processor time, since the letter store takes
 *   it chunk by chunk while the body downloads (S3LetterStore.readUpload), but shown.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { LETTER_MAX_BYTES } from '../lib/domain/letter.js';
import { PROJECT_ROOT } from '../infra/constructs/function.js';
import { LETTER_PROCESSOR_ENTRY } from '../infra/constructs/letter-processing.js';
import { buildWorkers, functionsOfApp } from './bundles.js';
import { jpegNear, pdfOfSize } from '../test/fixtures/letters.js';
import { median, status, table, UsageError, emitJson } from './cli.js';

export const LETTER_GOALS = { letterJpegRatio: 1.3, letterPdfRatio: 1.3 };

interface Timing {
  processorMs: number[];
  rawMs: number[];
  hashMs: number[];
  peakRssMb: number;
}

/** Medians, ms, but for RSS. */
interface LetterFigure {
  bytes: number;
  processorMs: number;
  rawMs: number;
  hashMs: number;
  peakRssMb: number;
}

export interface LetterResults {
  letterJpegRatio: number;
  letterPdfRatio: number;
  jpeg: LetterFigure;
  pdf: LetterFigure;
  runs: number;
}

/**
 * bench/letter-worker.ts as one ESM file, with the options CDK gives the letter processor (sharp
 * left out, as in Lambda) but for its standard-fonts alias: the raw floor is pdf-lib's own
 * PDFDocument.load, and with the stand-in aliased in that load measured 5 ms instead of 0.5 on
 * this machine (the processor's parse, which loads pdf-lib's parser by path, was unchanged), so
 * the alias would flatter letterPdfRatio. The PDF check's worker bundle is built beside it as
 * CDK builds it for the processor.
 */
async function bundleWorker(dir: string): Promise<string> {
  const outfile = join(dir, 'letter-worker.mjs');
  await build({
    entryPoints: [join(PROJECT_ROOT, 'bench/letter-worker.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    external: ['sharp'],
    outfile,
    logLevel: 'silent',
  });
  // The PDF check's worker bundle beside it, exactly as the processor's asset has it.
  await buildWorkers(functionsOfApp().find((fn) => fn.entry === LETTER_PROCESSOR_ENTRY)!, dir);
  await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return outfile;
}

/** Processes the PDF is timed in, and its runs for each of the JPEG's: a check takes ~0.3 ms, and one process's timings move as a whole. */
const PDF_PROCESSES = 5;
const PDF_RUNS_EACH = 5;

/** The timings of several processes as one. */
function pooled(timings: Timing[]): Timing {
  return {
    processorMs: timings.flatMap((t) => t.processorMs),
    rawMs: timings.flatMap((t) => t.rawMs),
    hashMs: timings.flatMap((t) => t.hashMs),
    peakRssMb: Math.max(...timings.map((t) => t.peakRssMb)),
  };
}

function timeIn(worker: string, kind: 'jpeg' | 'pdf', file: string, runs: number): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, kind, file, String(runs)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as Timing) : reject(new Error(`letter ${kind} exited ${code}`))));
  });
}

export async function measureLetters(runs: number): Promise<LetterResults> {
  const dir = await mkdtemp(join(tmpdir(), 'certrevoke-letters-'));
  try {
    status('making a 1.4 MiB JPEG and a 1.4 MiB PDF');
    const [jpeg, pdf] = await Promise.all([jpegNear(LETTER_MAX_BYTES), pdfOfSize(LETTER_MAX_BYTES)]);
    await Promise.all([writeFile(join(dir, 'letter.jpg'), jpeg), writeFile(join(dir, 'letter.pdf'), pdf)]);
    status(`checking (processor and raw, interleaved) the JPEG ${runs}× in a process of its own, the PDF ${runs * PDF_RUNS_EACH}× in each of ${PDF_PROCESSES}`);
    const worker = await bundleWorker(dir);
    const j = await timeIn(worker, 'jpeg', join(dir, 'letter.jpg'), runs);
    const pdfTimings: Timing[] = [];
    for (let i = 0; i < PDF_PROCESSES; i++) pdfTimings.push(await timeIn(worker, 'pdf', join(dir, 'letter.pdf'), runs * PDF_RUNS_EACH));
    const p = pooled(pdfTimings);
    const figure = (t: Timing, bytes: number): LetterFigure => ({ bytes, processorMs: median(t.processorMs), rawMs: median(t.rawMs), hashMs: median(t.hashMs), peakRssMb: t.peakRssMb });
    const jf = figure(j, jpeg.length);
    const pf = figure(p, pdf.length);
    return { letterJpegRatio: jf.processorMs / jf.rawMs, letterPdfRatio: pf.processorMs / pf.rawMs, jpeg: jf, pdf: pf, runs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function letterTable(r: LetterResults): string {
  return table([
    ['file', 'bytes', 'processor ms', 'raw ms', 'ratio', 'hash ms (during download)', 'peak RSS MB'],
    ['JPEG', String(r.jpeg.bytes), r.jpeg.processorMs.toFixed(2), r.jpeg.rawMs.toFixed(2), r.letterJpegRatio.toFixed(2), r.jpeg.hashMs.toFixed(2), r.jpeg.peakRssMb.toFixed(0)],
    ['PDF', String(r.pdf.bytes), r.pdf.processorMs.toFixed(2), r.pdf.rawMs.toFixed(2), r.letterPdfRatio.toFixed(2), r.pdf.hashMs.toFixed(2), r.pdf.peakRssMb.toFixed(0)],
  ]);
}

export async function lettersBench(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { runs: { type: 'string', default: '40' }, json: { type: 'boolean', default: false } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a whole number ≥ 1; got ${values.runs}`);
  const r = await measureLetters(runs);
  if (values.json) emitJson(r);
  else console.log(`${letterTable(r)}\n\nletterJpegRatio ${r.letterJpegRatio.toFixed(2)} (goal ≤ ${LETTER_GOALS.letterJpegRatio}), letterPdfRatio ${r.letterPdfRatio.toFixed(2)} (goal ≤ ${LETTER_GOALS.letterPdfRatio})`);
  return r.letterJpegRatio <= LETTER_GOALS.letterJpegRatio && r.letterPdfRatio <= LETTER_GOALS.letterPdfRatio ? 0 : 1;
}
