import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import * as parserModule from 'pdf-lib/cjs/core/parser/PDFParser.js';
import * as byteStreamModule from 'pdf-lib/cjs/core/parser/ByteStream.js';
import * as arrayModule from 'pdf-lib/cjs/core/objects/PDFArray.js';
import * as dictModule from 'pdf-lib/cjs/core/objects/PDFDict.js';
import * as nameModule from 'pdf-lib/cjs/core/objects/PDFName.js';
import * as numberModule from 'pdf-lib/cjs/core/objects/PDFNumber.js';
import * as refModule from 'pdf-lib/cjs/core/objects/PDFRef.js';
import * as rawStreamModule from 'pdf-lib/cjs/core/objects/PDFRawStream.js';
import * as streamModule from 'pdf-lib/cjs/core/objects/PDFStream.js';
import * as contextModule from 'pdf-lib/cjs/core/PDFContext.js';
import * as decodeModule from 'pdf-lib/cjs/core/streams/decode.js';
import type { PDFContext as PdfContext, PDFRef as PdfRef } from 'pdf-lib';
import { PDF_CHECK_MARKER, type PdfCheckJob, type PdfCheckResult, type PdfWorkerMessage } from './pdf-check.js';
import { activeContentVerdict, decodeName, noteName } from './pdf-prescan.js';

/**
 * The PDF check's worker thread (the main thread's side is `pdf-check.ts`): loads pdf-lib and
 * serves one file at a time. Its own entry point, bundled on its own for Lambda, so a worker
 * start loads pdf-lib and nothing else.
 */

/** A pages tree deeper than this is not a letter (a 20-page letter needs depth 1 or 2). */
const MAX_TREE_DEPTH = 16;
const MAX_TREE_NODES = 256;

function isWorkerOfThis(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { marker?: unknown }).marker === PDF_CHECK_MARKER;
}

function parseFailure(error: unknown): string {
  if (error instanceof RangeError) return 'is nested too deeply to read';
  return 'could not be parsed as a PDF';
}

/** Thrown from inside pdf-lib's decoder when a stream outgrows the budget. */
class DecodeBudgetExceeded extends Error {
  override name = 'DecodeBudgetExceeded';
}

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
 * brings the document API with its embedders and PNG codec (~120 KB of the bundle, and load
 * time in every new worker) that a check never uses.
 */
const pdfLib = {
  PDFParser: cjsDefault(parserModule),
  ByteStream: cjsDefault(byteStreamModule),
  PDFArray: cjsDefault(arrayModule),
  PDFDict: cjsDefault(dictModule),
  PDFName: cjsDefault(nameModule),
  PDFNumber: cjsDefault(numberModule),
  PDFRef: cjsDefault(refModule),
  PDFRawStream: cjsDefault(rawStreamModule),
  PDFStream: cjsDefault(streamModule),
  PDFContext: cjsDefault(contextModule),
  decodePDFRawStream: decodeModule.decodePDFRawStream,
};
/**
 * A CommonJS file's `exports.default`. Node and esbuild hand the file's `exports` over as the
 * module's `default`; tsx (the local runtime's worker), honouring `__esModule`, hands over
 * `exports.default` itself.
 */
function cjsDefault<T>(module: { default: { default: T } }): T {
  const given = module.default as { default?: T } | T;
  return (given as { default?: T }).default ?? (given as T);
}
type PdfLib = typeof pdfLib;

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

/** Serves files until terminated; one at a time (the main thread waits for each result). */
function serve(port: MessagePort): void {
  const budget = capDecoding(pdfLib);
  viewInsteadOfCopy(pdfLib);
  port.on('message', (job: PdfCheckJob) => {
    budget.reset(job.maxDecodedBytes);
    // The document (which holds views of the buffer) is dropped before the buffer goes back.
    const answer = (result: PdfCheckResult, reusable: boolean) =>
      port.postMessage({ type: 'result', id: job.id, result, reusable, buffer: job.buffer } satisfies PdfWorkerMessage, [job.buffer]);
    void runJob(pdfLib, budget, new Uint8Array(job.buffer, 0, job.length), job.maxPages).then(
      (result) => answer(result, !budget.exceeded),
      (error: unknown) => answer({ ok: false, detail: parseFailure(error) }, false),
    );
  });
  port.postMessage({ type: 'ready' } satisfies PdfWorkerMessage);
}

if (!isMainThread && isWorkerOfThis(workerData) && parentPort) serve(parentPort);
