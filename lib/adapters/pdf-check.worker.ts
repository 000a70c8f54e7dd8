import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
// Types only: the main thread never loads pdf-lib for this; the worker imports it dynamically.
import type { PDFContext as PdfContext, PDFRef as PdfRef } from 'pdf-lib';
import { activeContentVerdict, decodeName, noteName } from './pdf-prescan.js';

/**
 * Parses a PDF with pdf-lib in a worker thread that is terminated at a time budget: pdf-lib can
 * spin or recurse without end on hostile input, and only another thread can stop that.
 *
 * The worker runs this very module, found through `import.meta.url`:
 * - from TypeScript source (vitest, tsx, the local runtime) the URL ends in `.ts`, which Node 20
 *   cannot load in a worker by itself, so the worker is a one-line script that loads this file
 *   through tsx's `tsImport` (a devDependency, present wherever the source runs);
 * - in the Lambda bundle (esbuild, ESM, one file) the URL is the bundle itself: the worker loads
 *   the whole bundle, and this module's top-level check below sees the marker in `workerData`
 *   and serves jobs. The rest of the bundle's module scope runs too (clients are created,
 *   nothing is invoked), so module scope must never start work by itself. No second entry point,
 *   copied file or `nodeModules` entry is needed for this. A CommonJS bundle has no
 *   `import.meta.url` and fails loudly when a PDF is first checked.
 */
const MARKER = 'certrevoke:pdf-check';
/** A pages tree deeper than this is not a letter (a 20-page letter needs depth 1 or 2). */
const MAX_TREE_DEPTH = 16;
const MAX_TREE_NODES = 256;

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

interface Job {
  marker: typeof MARKER;
  id: number;
  /** The file is its first `length` bytes; the buffer goes back with the result. */
  buffer: ArrayBuffer;
  length: number;
  maxPages: number;
  maxDecodedBytes: number;
}

/** `reusable`: the worker may take the next file (false after a budget was hit: its heap may be ragged). */
type WorkerMessage = { type: 'ready' } | { type: 'result'; id: number; result: PdfCheckResult; reusable: boolean; buffer: ArrayBuffer };

/**
 * Checks the PDF in a worker thread: loads it with pdf-lib's decoders capped, refuses active
 * content found in any object pdf-lib parsed, then walks the page tree from the catalog.
 *
 * There is one worker at a time and files take turns on it. It stays warm between files
 * (starting one loads the whole bundle and pdf-lib, which costs far more than checking a
 * letter), unreferenced while idle so it never holds the process open, and is retired after
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
  const job: Job = { marker: MARKER, id: ++jobs, buffer, length: bytes.byteLength, maxPages: options.maxPages, maxDecodedBytes: options.maxDecodedBytes ?? 4 * 1024 * 1024 };
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
    const onMessage = (message: WorkerMessage) => {
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
    worker.once('message', (message: WorkerMessage) => {
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
  if (!/\.[cm]?ts$/.test(new URL(self).pathname)) {
    return new Worker(new URL(self), { workerData: { marker: MARKER }, resourceLimits });
  }
  const script = `import(${JSON.stringify(tsxApiUrl())}).then(({ tsImport }) => tsImport(${JSON.stringify(self)}, ${JSON.stringify(self)}));`;
  return new Worker(script, { eval: true, workerData: { marker: MARKER }, resourceLimits });
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

function isWorkerOfThis(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { marker?: unknown }).marker === MARKER;
}

if (!isMainThread && isWorkerOfThis(workerData) && parentPort) {
  const port = parentPort;
  void (async () => {
    const pdfLib = await loadPdfLib();
    const budget = capDecoding(pdfLib);
    viewInsteadOfCopy(pdfLib);
    port.on('message', (job: Job) => {
      budget.reset(job.maxDecodedBytes);
      // The document (which holds views of the buffer) is dropped before the buffer goes back.
      const answer = (result: PdfCheckResult, reusable: boolean) =>
        port.postMessage({ type: 'result', id: job.id, result, reusable, buffer: job.buffer } satisfies WorkerMessage, [job.buffer]);
      void runJob(pdfLib, budget, new Uint8Array(job.buffer, 0, job.length), job.maxPages).then(
        (result) => answer(result, !budget.exceeded),
        (error: unknown) => answer({ ok: false, detail: parseFailure(error) }, false),
      );
    });
    port.postMessage({ type: 'ready' } satisfies WorkerMessage);
  })();
}

function parseFailure(error: unknown): string {
  if (error instanceof RangeError) return 'is nested too deeply to read';
  return 'could not be parsed as a PDF';
}

/** Thrown from inside pdf-lib's decoder when a stream outgrows the budget. */
class DecodeBudgetExceeded extends Error {
  override name = 'DecodeBudgetExceeded';
}

/** Runs inside the worker, which imported pdf-lib, so the main thread never loads it for this. */
async function runJob(pdfLib: PdfLib, budget: DecodeBudget, bytes: Uint8Array, maxPages: number): Promise<PdfCheckResult> {
  const { PDFArray, PDFDict, PDFName, PDFNumber, PDFParser, PDFRef } = pdfLib;
  let context: PdfContext;
  try {
    // What PDFDocument.load does before it builds the document API: no yielding between objects
    // (nothing else runs in this thread), invalid objects thrown, numbers not capped. An
    // encrypted file is refused below, by its /Encrypt (PDFDocument's own check).
    context = await PDFParser.forBytesWithOptions(bytes, Infinity, true, false).parseDocument();
  } catch (error) {
    // pdf-lib turns an error inside an object into one of its own: the flag says what it was.
    if (budget.exceeded) return { ok: false, detail: 'decompresses to too much data (a compression bomb)' };
    throw error;
  }
  const active = activeContentVerdict(namesIn(pdfLib, context));
  if (!active.ok) return active;
  const catalog = context.lookup(context.trailerInfo.Root);
  if (!(catalog instanceof PDFDict)) return { ok: false, detail: 'has no document catalog' };
  const root = catalog.get(PDFName.of('Pages'));
  if (!(root instanceof PDFRef)) return { ok: false, detail: 'has no page tree' };

  // The tree is walked here rather than by pdf-lib (recursive, no cycle check). A node may be
  // listed once in the whole tree: a cycle or a node shared by two parents (a fan-out "tree"
  // that is a few KB yet has billions of paths) is refused as soon as it is listed again.
  const listed = new Set<string>([root.tag]);
  const stack: { ref: PdfRef; depth: number }[] = [{ ref: root, depth: 0 }];
  let pages = 0;
  for (let next = stack.pop(); next; next = stack.pop()) {
    const node = context.lookup(next.ref);
    if (!(node instanceof PDFDict)) return { ok: false, detail: 'has a malformed page tree' };
    const type = node.get(PDFName.of('Type'));
    if (type === PDFName.of('Page')) {
      pages++;
      if (pages > maxPages) return { ok: false, detail: `has more than ${maxPages} pages` };
      continue;
    }
    if (type !== PDFName.of('Pages')) return { ok: false, detail: 'has a malformed page tree' };
    if (next.depth >= MAX_TREE_DEPTH) return { ok: false, detail: 'has a page tree that is too deep' };
    const kids = context.lookup(node.get(PDFName.of('Kids')));
    if (!(kids instanceof PDFArray)) return { ok: false, detail: 'has a malformed page tree' };
    // Pushed in reverse so pages come off the stack in document order.
    for (let k = kids.size() - 1; k >= 0; k--) {
      const kid = kids.get(k);
      if (!(kid instanceof PDFRef)) return { ok: false, detail: 'has a malformed page tree' };
      if (listed.has(kid.tag)) return { ok: false, detail: 'has a page tree with a cycle or a shared node' };
      listed.add(kid.tag);
      if (listed.size > MAX_TREE_NODES) return { ok: false, detail: 'has a page tree that is too large' };
      stack.push({ ref: kid, depth: next.depth + 1 });
    }
  }
  if (pages === 0) return { ok: false, detail: 'has no pages' };
  const count = catalog.lookup(PDFName.of('Pages'), PDFDict).get(PDFName.of('Count'));
  if (!(count instanceof PDFNumber) || count.asNumber() !== pages) return { ok: false, detail: 'has a page count that does not match its pages' };
  return { ok: true, pages };
}

/**
 * pdf-lib's parser and object model, each from its own CommonJS file: the package's index also
 * brings the document API with its embedders and PNG codec (~120 KB of the processor's bundle,
 * and load time in every new worker) that a check never uses.
 */
async function loadPdfLib() {
  const [parser, byteStream, array, dict, name, number, ref, rawStream, stream, context, decode] = await Promise.all([
    import('pdf-lib/cjs/core/parser/PDFParser.js'),
    import('pdf-lib/cjs/core/parser/ByteStream.js'),
    import('pdf-lib/cjs/core/objects/PDFArray.js'),
    import('pdf-lib/cjs/core/objects/PDFDict.js'),
    import('pdf-lib/cjs/core/objects/PDFName.js'),
    import('pdf-lib/cjs/core/objects/PDFNumber.js'),
    import('pdf-lib/cjs/core/objects/PDFRef.js'),
    import('pdf-lib/cjs/core/objects/PDFRawStream.js'),
    import('pdf-lib/cjs/core/objects/PDFStream.js'),
    import('pdf-lib/cjs/core/PDFContext.js'),
    import('pdf-lib/cjs/core/streams/decode.js'),
  ]);
  return {
    PDFParser: cjsDefault(parser),
    ByteStream: cjsDefault(byteStream),
    PDFArray: cjsDefault(array),
    PDFDict: cjsDefault(dict),
    PDFName: cjsDefault(name),
    PDFNumber: cjsDefault(number),
    PDFRef: cjsDefault(ref),
    PDFRawStream: cjsDefault(rawStream),
    PDFStream: cjsDefault(stream),
    PDFContext: cjsDefault(context),
    decodePDFRawStream: decode.decodePDFRawStream,
  };
}
/**
 * A CommonJS file's `exports.default`. Node and esbuild hand the file's `exports` over as the
 * module's `default`; tsx (the local runtime's worker), honouring `__esModule`, hands over
 * `exports.default` itself.
 */
function cjsDefault<T>(module: { default: { default: T } }): T {
  const given = module.default as { default?: T } | T;
  return (given as { default?: T }).default ?? (given as T);
}
type PdfLib = Awaited<ReturnType<typeof loadPdfLib>>;

/**
 * Makes pdf-lib's parser keep each stream's contents as a view of the file instead of a copy
 * (`ByteStream.slice` is `Uint8Array#slice`). A letter is mostly one image stream, so each file
 * otherwise costs a fresh 1.4 MiB allocation: about 0.3 ms when the allocator reuses memory, but
 * 4-5 ms of page faults when it maps new pages, which in this thread it mostly did — ten times the
 * parse itself. A view is safe here: nothing writes to the contents, and the document is dropped
 * before the file's buffer goes back to the main thread.
 */
function viewInsteadOfCopy(pdfLib: PdfLib): void {
  type Sliceable = { bytes: Uint8Array; slice(start: number, end: number): Uint8Array };
  const proto = pdfLib.ByteStream.prototype as unknown as Sliceable;
  if (typeof proto.slice !== 'function') throw new Error('pdf-lib has no ByteStream.slice to replace');
  proto.slice = function (this: Sliceable, start: number, end: number): Uint8Array {
    return this.bytes.subarray(start, end);
  };
}

interface DecodeBudget {
  readonly exceeded: boolean;
  /** A fresh budget of `maxBytes` for the next file. */
  reset(maxBytes: number): void;
}

/**
 * Caps what pdf-lib's decoders (Flate, LZW, …) may allocate while `load` decodes object and xref
 * streams. The pre-scan bounds every stream it finds, but pdf-lib is the parser that counts: a
 * stream the scan reads differently would otherwise inflate without limit in this thread (its
 * buffers are outside the heap limit). All decoders grow their output through
 * `DecodeStream.prototype.ensureBuffer`, reached here from a stream made by pdf-lib's public
 * `decodePDFRawStream`, so this works for any build of pdf-lib. Patched once per worker (this
 * thread runs nothing else); each file gets its budget through `reset`.
 */
function capDecoding(pdfLib: PdfLib): DecodeBudget {
  const { PDFContext, PDFRawStream, decodePDFRawStream } = pdfLib;
  const context = PDFContext.create();
  const emptyFlate = Uint8Array.of(0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01);
  const sample = decodePDFRawStream(PDFRawStream.of(context.obj({ Filter: 'FlateDecode' }), emptyFlate));
  type Growable = { buffer: Uint8Array; ensureBuffer(requested: number): Uint8Array };
  let proto = Object.getPrototypeOf(sample) as Growable | null;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'ensureBuffer')) proto = Object.getPrototypeOf(proto) as Growable | null;
  if (!proto) throw new Error('pdf-lib has no DecodeStream.ensureBuffer to cap');
  const ensureBuffer = proto.ensureBuffer;
  let maxBytes = 0;
  let exceeded = false;
  // One stream may reach the cap (as in the pre-scan); all together twice that, since buffers
  // grow by doubling.
  let allocated = 0;
  const exceed = (): never => {
    exceeded = true;
    throw new DecodeBudgetExceeded('a stream decodes to more than the budget');
  };
  proto.ensureBuffer = function (this: Growable, requested: number): Uint8Array {
    if (exceeded || requested > maxBytes) return exceed();
    const before = this.buffer.byteLength;
    const buffer = ensureBuffer.call(this, requested);
    allocated += buffer.byteLength - before;
    return allocated > 2 * maxBytes ? exceed() : buffer;
  };
  return {
    get exceeded() {
      return exceeded;
    },
    reset(bytes: number) {
      maxBytes = bytes;
      exceeded = false;
      allocated = 0;
    },
  };
}

/**
 * Every name in every object pdf-lib parsed, keys included — also those it read out of object
 * streams, whatever the pre-scan made of their bytes. Direct objects cannot be cyclic (a cycle
 * needs an indirect reference, which is not followed), so each is visited once; an explicit
 * stack, not recursion, so deep nesting cannot exhaust the stack.
 */
function namesIn(pdfLib: PdfLib, context: PdfContext): Set<string> {
  const { PDFArray, PDFDict, PDFName, PDFStream } = pdfLib;
  const found = new Set<string>();
  if (context.trailerInfo.Encrypt) found.add('Encrypt');
  const stack: unknown[] = context.enumerateIndirectObjects().map(([, object]) => object);
  for (let object = stack.pop(); object !== undefined; object = stack.pop()) {
    if (object instanceof PDFName) {
      // pdf-lib decodes only upper-case #XX escapes; viewers decode both cases.
      noteName(decodeName(object.decodeText()), found);
    } else if (object instanceof PDFDict) {
      for (const [key, value] of object.entries()) stack.push(key, value);
    } else if (object instanceof PDFArray) {
      for (let k = 0; k < object.size(); k++) stack.push(object.get(k)); // not a spread: arrays may be huge
    } else if (object instanceof PDFStream) {
      stack.push(object.dict);
    }
  }
  return found;
}
