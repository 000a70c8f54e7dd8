import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Parses a PDF with pdf-lib in a worker thread that is terminated at a time budget: pdf-lib can
 * spin or recurse without end on hostile input, and only another thread can stop that. This
 * module is the main thread's side; the worker runs `pdf-check.worker.ts`, its own entry point,
 * so the main thread never loads pdf-lib and a worker loads nothing else:
 * - from TypeScript source (vitest, tsx, the local runtime) Node 20 cannot load a `.ts` worker by
 *   itself, so the worker is a one-line script that loads the source through tsx's `tsImport` (a
 *   devDependency, present wherever the source runs);
 * - in the Lambda bundle the worker is `PDF_CHECK_WORKER_BUNDLE`, built beside the function's
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
  /** Wall-clock budget for the parse, counted from when the worker has loaded pdf-lib. */
  timeBudgetMs: number;
  /** Limit for starting the worker and loading pdf-lib (loading TypeScript through tsx is slow). */
  startupLimitMs?: number;
  /**
   * Abandons the parse: the worker is terminated at once and the result is a refusal. A caller
   * that has refused the file on other grounds aborts, or a bomb's parse would run on to its
   * budget beside the next file's worker.
   */
  signal?: AbortSignal;
}

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
 * Checks the PDF in a worker thread: loads it with pdf-lib's decoders capped, refuses active
 * content found in any object pdf-lib parsed, then walks the page tree from the catalog.
 *
 * There is one worker at a time and files take turns on it. It stays warm between files
 * (starting one loads pdf-lib, which costs far more than checking a letter), unreferenced while
 * idle so it never holds the process open, and is retired after
 * RECYCLE_AFTER files, after any file it refused for a budget, when abandoned, or on any
 * failure; the next one starts only once the retired one is gone. Without turns, files refused
 * quickly elsewhere (their parse abandoned or still running) each started a worker of their own
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
  // With no file ahead, the turn starts now: a warm worker gets the job before this returns, so
  // the caller's own checks run while it parses.
  const turn = waiting === 0 ? checkInTurn(bytes, options) : lane.then(() => checkInTurn(bytes, options));
  waiting++;
  lane = turn.catch(() => undefined).finally(() => waiting--);
  return turn;
}

function checkInTurn(bytes: Uint8Array, options: PdfCheckOptions): Promise<PdfCheckResult> {
  if (options.signal?.aborted) return Promise.resolve(ABANDONED);
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
  // Abandoned while the worker was starting: it has not seen the file and stays warm.
  if (options.signal?.aborted) {
    giveBack(pooled);
    return Promise.resolve(ABANDONED);
  }
  const { worker } = pooled;
  const buffer = pooled.buffer && pooled.buffer.byteLength >= bytes.byteLength ? pooled.buffer : new ArrayBuffer(Math.max(bytes.byteLength, BUFFER_BYTES));
  pooled.buffer = undefined;
  // Buffer's memcpy: TypedArray#set copies from a Buffer byte by byte.
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).copy(Buffer.from(buffer));
  const job: PdfCheckJob = { marker: PDF_CHECK_MARKER, id: ++jobs, buffer, length: bytes.byteLength, maxPages: options.maxPages, maxDecodedBytes: options.maxDecodedBytes ?? 4 * 1024 * 1024 };
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
      options.signal?.removeEventListener('abort', onAbort);
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
    const onAbort = () => finish(ABANDONED, false);
    const timer = setTimeout(() => finish({ ok: false, detail: 'took too long to read' }, false), options.timeBudgetMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.postMessage(job, [buffer]);
  });
}

const ABANDONED: PdfCheckResult = { ok: false, detail: 'was not read to the end' };

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
  const self = import.meta.url as string | undefined;
  if (!self) throw new Error('pdf-check needs an ES module build: import.meta.url is missing');
  const resourceLimits = { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 };
  const workerData = { marker: PDF_CHECK_MARKER };
  if (!/\.[cm]?ts$/.test(new URL(self).pathname)) return new Worker(new URL(`./${PDF_CHECK_WORKER_BUNDLE}`, self), { workerData, resourceLimits });
  const source = new URL(`./${PDF_CHECK_WORKER_ENTRY.split('/').pop()}`, self).href;
  const script = `import(${JSON.stringify(tsxApiUrl())}).then(({ tsImport }) => tsImport(${JSON.stringify(source)}, ${JSON.stringify(self)}));`;
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
