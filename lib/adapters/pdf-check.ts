import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type * as CheckModuleShape from './pdf-check.worker.js';

/**
 * Checks a PDF with pdf-lib, first on this thread within a step limit, then, for a file that
 * needs more, in a worker thread terminated at a time budget: pdf-lib can spin or recurse without
 * end on hostile input, and only another thread can stop that. The check itself is
 * `pdf-check.worker.ts`, its own entry point, loaded at the first PDF on this thread and as the
 * worker's script there, so a process that never sees a PDF never loads pdf-lib:
 * - from TypeScript source (vitest, tsx, the local runtime) Node 20 cannot load a `.ts` worker by
 *   itself, so the worker is a one-line script that loads the source through tsx's `tsImport` (a
 *   devDependency, present wherever the source runs);
 * - in the Lambda bundle the module is `PDF_CHECK_WORKER_BUNDLE`, built beside the function's
 *   `index.mjs` from `PDF_CHECK_WORKER_ENTRY` (infra/constructs/function.ts, `workers`). Before,
 *   the worker loaded the whole function bundle — AWS clients, sharp and libvips — which took
 *   ~180 ms a start, paid again after every file refused for a budget. A CommonJS bundle has no
 *   `import.meta.url` and fails loudly when a PDF is first checked.
 */
export const PDF_CHECK_WORKER_ENTRY = 'lib/adapters/pdf-check.worker.ts';
export const PDF_CHECK_WORKER_BUNDLE = 'pdf-check.worker.mjs';
/** In `workerData`: the worker entry serves jobs only in a thread started for them. */
export const PDF_CHECK_MARKER = 'certrevoke:pdf-check';

export type PdfCheckResult = { ok: true; pages: number } | { ok: false; detail: string };

export interface PdfCheckOptions {
  maxPages: number;
  /** What one stream pdf-lib decodes during the parse may grow to (object and xref streams). @default 4 MiB */
  maxDecodedBytes?: number;
  /** Wall-clock budget for the parse: on this thread from its start, in the worker from when it has loaded pdf-lib. */
  timeBudgetMs: number;
  /** Limit for starting the worker and loading pdf-lib (loading TypeScript through tsx is slow). */
  startupLimitMs?: number;
  /** Steps of pdf-lib's byte reader the parse may take on this thread. @default MAIN_THREAD_STEPS */
  mainThreadSteps?: number;
}

/**
 * Steps a parse may take on the caller's thread (a read, peek or end test of pdf-lib's byte
 * reader; see `PdfCheckLimits.maxSteps`). Measured: the bench's 1.4 MiB letter takes ~4,000,
 * a 20-page letter ~40,000 (test/integration/pdf-check.test.ts holds both to a tenth of this);
 * a file sending pdf-lib quadratic used all of them in ~30 ms before going to the worker. A step
 * allocates a small object at most, so this is also a bound of tens of MB on the heap, in a
 * processor with 1.5 GB.
 */
export const MAIN_THREAD_STEPS = 1_000_000;

type CheckModule = typeof CheckModuleShape;
let loading: Promise<CheckModule> | undefined;

/** The check module on this thread: the worker's own file, imported by URL so no bundle inlines it. */
function checkModule(): Promise<CheckModule> {
  loading ??= (import(checkModuleUrl().href) as Promise<CheckModule>).catch((error: unknown) => {
    loading = undefined;
    throw new Error(`The PDF check could not be loaded: ${(error as Error).message}`);
  });
  return loading;
}

function checkModuleUrl(): URL {
  const self = import.meta.url as string | undefined;
  if (!self) throw new Error('pdf-check needs an ES module build: import.meta.url is missing');
  return fromSource(self) ? new URL(`./${PDF_CHECK_WORKER_ENTRY.split('/').pop()}`, self) : new URL(`./${PDF_CHECK_WORKER_BUNDLE}`, self);
}

function fromSource(self: string): boolean {
  return /\.[cm]?ts$/.test(new URL(self).pathname);
}

/**
 * Loads a PDF with pdf-lib's decoders capped, refuses active content found in any object pdf-lib
 * parsed, then walks the page tree from the catalog. A letter is decided here, on this thread,
 * in well under a millisecond: handing it to a thread that sleeps between files cost more than
 * the parse itself (~0.5 ms, mostly waking it). A file the parse cannot finish within
 * `mainThreadSteps` goes to the worker (`checkPdfInWorker`), whose time and heap limits hold
 * whatever pdf-lib does. Rejects only for our own failures (the check could not be loaded or the
 * worker not started): retry, don't refuse.
 */
export async function checkPdf(bytes: Uint8Array, options: PdfCheckOptions): Promise<PdfCheckResult> {
  const { checkPdfHere } = await checkModule();
  const here = checkPdfHere(bytes, {
    maxPages: options.maxPages,
    maxDecodedBytes: options.maxDecodedBytes ?? DEFAULT_DECODED_BYTES,
    maxSteps: options.mainThreadSteps ?? MAIN_THREAD_STEPS,
    deadline: performance.now() + options.timeBudgetMs,
  });
  return here ?? checkPdfInWorker(bytes, options);
}

const DEFAULT_DECODED_BYTES = 4 * 1024 * 1024;

export interface PdfCheckJob {
  marker: typeof PDF_CHECK_MARKER;
  id: number;
  /** The file is its first `length` bytes; the buffer goes back with the result. */
  buffer: ArrayBuffer;
  length: number;
  maxPages: number;
  maxDecodedBytes: number;
}

/** `reusable`: the worker may take the next file (false after a budget was hit: its heap may be ragged). */
export type PdfWorkerMessage = { type: 'ready' } | { type: 'result'; id: number; result: PdfCheckResult; reusable: boolean; buffer: ArrayBuffer };

/**
 * Checks the PDF in a worker thread, as `checkPdf` does here but with no step limit.
 *
 * There is one worker at a time and files take turns on it. It stays warm between files
 * (starting one loads pdf-lib, which costs far more than checking a letter), unreferenced while
 * idle so it never holds the process open, and is retired after
 * RECYCLE_AFTER files, after any file it refused for a budget, or on any failure; the next one
 * starts only once the retired one is gone. Without turns, files refused quickly elsewhere
 * (their parse abandoned or still running) each started a worker of their own
 * while the others were still alive, and a burst of them took the process past 1 GB. Nothing of
 * a file survives into the next: each job gets its own decode budget and the document is
 * dropped when its result is sent.
 *
 * Once the job is posted, every outcome is a result: past the budget, out of stack or heap, or
 * dead, the worker is terminated and the file is unreadable. A worker that cannot start is our
 * failure, not the file's: the promise rejects, so the caller retries instead of refusing a
 * letter it never read.
 */
export function checkPdfInWorker(bytes: Uint8Array, options: PdfCheckOptions): Promise<PdfCheckResult> {
  // With no file ahead, the turn starts now: a warm worker gets the job before this returns.
  const turn = waiting === 0 ? checkInTurn(bytes, options) : lane.then(() => checkInTurn(bytes, options));
  waiting++;
  lane = turn.catch(() => undefined).finally(() => waiting--);
  return turn;
}

function checkInTurn(bytes: Uint8Array, options: PdfCheckOptions): Promise<PdfCheckResult> {
  if (retiring) return retiring.then(() => checkInTurn(bytes, options));
  const warm = idle;
  idle = undefined;
  if (warm) return runOn(warm, bytes, options);
  return takeNewWorker(options.startupLimitMs ?? Math.max(10_000, options.timeBudgetMs)).then((started) => runOn(started, bytes, options));
}

/**
 * Posts one file to the worker. The bytes travel in the worker's own buffer, transferred there
 * and back with each job: a fresh 1.4 MiB buffer a file costs more in page faults (~7 ms) than
 * parsing it does.
 */
function runOn(pooled: PooledWorker, bytes: Uint8Array, options: PdfCheckOptions): Promise<PdfCheckResult> {
  const { worker } = pooled;
  const buffer = pooled.buffer && pooled.buffer.byteLength >= bytes.byteLength ? pooled.buffer : new ArrayBuffer(Math.max(bytes.byteLength, BUFFER_BYTES));
  pooled.buffer = undefined;
  // Buffer's memcpy: TypedArray#set copies from a Buffer byte by byte.
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).copy(Buffer.from(buffer));
  const job: PdfCheckJob = { marker: PDF_CHECK_MARKER, id: ++jobs, buffer, length: bytes.byteLength, maxPages: options.maxPages, maxDecodedBytes: options.maxDecodedBytes ?? DEFAULT_DECODED_BYTES };
  worker.ref();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PdfCheckResult, reusable: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (reusable) giveBack(pooled);
      else retire(worker);
      resolve(result);
    };
    const onMessage = (message: PdfWorkerMessage) => {
      if (message.type !== 'result' || message.id !== job.id) return;
      pooled.buffer = message.buffer;
      finish(message.result, message.reusable);
    };
    const onError = (error: Error) => finish({ ok: false, detail: workerFailure(error) }, false);
    const onExit = () => finish({ ok: false, detail: 'could not be read' }, false);
    const timer = setTimeout(() => finish({ ok: false, detail: 'took too long to read' }, false), options.timeBudgetMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(job, [buffer]);
  });
}

/** The size of a worker's transfer buffer: the largest letter there is. */
const BUFFER_BYTES = 1_468_006;

/** A warm worker is retired after this many files, so a slow leak in pdf-lib cannot grow without end. */
const RECYCLE_AFTER = 100;
let jobs = 0;
/** The turn of the last file that asked, and how many have not finished theirs. */
let lane: Promise<unknown> = Promise.resolve();
let waiting = 0;
let idle: PooledWorker | undefined;
/** While a retired worker is stopping: the next one starts after. */
let retiring: Promise<void> | undefined;

function retire(worker: Worker): void {
  const stopped: Promise<void> = worker
    .terminate()
    .catch(() => 0)
    .then(() => {
      if (retiring === stopped) retiring = undefined;
    });
  retiring = stopped;
}

interface PooledWorker {
  worker: Worker;
  used: number;
  /** Its transfer buffer, while on this side. */
  buffer?: ArrayBuffer | undefined;
}

/** A new worker, once it has loaded pdf-lib. */
function takeNewWorker(startupLimitMs: number): Promise<PooledWorker> {
  const worker = startWorker();
  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      retire(worker);
      reject(new Error(`The PDF check worker did not start: ${reason}`));
    };
    const timer = setTimeout(() => fail('timed out'), startupLimitMs);
    const onError = (error: Error) => fail(error.message);
    const onExit = (code: number) => fail(`exited with ${code}`);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.once('message', (message: PdfWorkerMessage) => {
      clearTimeout(timer);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (message.type === 'ready') resolve({ worker, used: 0 });
      else fail('it answered before it was ready');
    });
  });
}

/** Keeps the worker warm for the next file, unless it has done its share. */
function giveBack(pooled: PooledWorker): void {
  pooled.used += 1;
  if (pooled.used >= RECYCLE_AFTER) {
    retire(pooled.worker);
    return;
  }
  pooled.worker.unref();
  idle = pooled;
}

function workerFailure(error: Error): string {
  if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') return 'needs too much memory to read';
  if (error instanceof RangeError) return 'is nested too deeply to read';
  return 'could not be read';
}

let alive = 0;

/** Files sent to a PDF check worker in this process so far; for tests of where files are checked. */
export function pdfFilesSentToWorker(): number {
  return jobs;
}

/** PDF check workers in this process now, started or starting; for tests of the one-at-a-time rule. */
export function pdfWorkersAlive(): number {
  return alive;
}

function startWorker(): Worker {
  const worker = newWorker();
  alive++;
  worker.once('exit', () => alive--);
  return worker;
}

function newWorker(): Worker {
  const module = checkModuleUrl();
  const resourceLimits = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 };
  const workerData = { marker: PDF_CHECK_MARKER };
  if (!fromSource(import.meta.url)) return new Worker(module, { workerData, resourceLimits });
  const script = `import(${JSON.stringify(tsxApiUrl())}).then(({ tsImport }) => tsImport(${JSON.stringify(module.href)}, ${JSON.stringify(import.meta.url)}));`;
  return new Worker(script, { eval: true, workerData, resourceLimits });
}

/** tsx's ESM API entry, read from its package.json `exports` (the CommonJS entry cannot register ESM hooks). */
function tsxApiUrl(): string {
  const requireHere = createRequire(import.meta.url);
  const manifest = requireHere.resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  const entry = exports['./esm/api']?.import.default;
  if (!entry) throw new Error('tsx has no ./esm/api export');
  return pathToFileURL(join(dirname(manifest), entry)).href;
}
