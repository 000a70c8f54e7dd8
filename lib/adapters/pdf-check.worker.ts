import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import * as parserModule from 'pdf-lib/cjs/core/parser/PDFParser.js';
import * as objectStreamParserModule from 'pdf-lib/cjs/core/parser/PDFObjectStreamParser.js';
import * as xrefStreamParserModule from 'pdf-lib/cjs/core/parser/PDFXRefStreamParser.js';
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
import { Keywords } from 'pdf-lib/cjs/core/syntax/Keywords.js';
import { IsDigit } from 'pdf-lib/cjs/core/syntax/Numeric.js';
import type { PDFContext as PdfContext, PDFObject as PdfObject, PDFRef as PdfRef } from 'pdf-lib';
import { PDF_CHECK_MARKER, type PdfCheckJob, type PdfCheckResult, type PdfWorkerMessage } from './pdf-check.js';
import { activeContentVerdict, decodeName, noteName } from './pdf-prescan.js';

/**
 * The PDF check itself: pdf-lib's parse, synchronous and metered, then the checks on what it
 * parsed. Its own entry point, bundled on its own for Lambda (`pdf-check.ts` says how), used two
 * ways:
 * - on the main thread, imported at the first PDF, with a work limit (`checkPdfHere`): a letter
 *   needs a few thousand steps of the parser, and a file that needs more than the limit is left
 *   to the worker;
 * - in the worker thread (`serve`), with no work limit: the main thread terminates it at the
 *   time budget and V8 stops it at its heap limit.
 */

/** A pages tree deeper than this is not a letter (a 20-page letter needs depth 1 or 2). */
const MAX_TREE_DEPTH = 16;
const MAX_TREE_NODES = 256;

function isWorkerOfThis(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { marker?: unknown }).marker === PDF_CHECK_MARKER;
}

/** Thrown from inside pdf-lib's decoder when a stream outgrows the budget. */
class DecodeBudgetExceeded extends Error {
  override name = 'DecodeBudgetExceeded';
}

/** Thrown from inside pdf-lib's byte reader when the parse has used its steps or its time. */
class WorkLimitReached extends Error {
  override name = 'WorkLimitReached';
}

export interface PdfCheckLimits {
  maxPages: number;
  /** What streams pdf-lib decodes during the parse may grow to: one this much, all twice this. */
  maxDecodedBytes: number;
  /**
   * Steps of pdf-lib's byte reader (each read, peek or end test, and each cross-reference
   * stream entry) the parse may take; past it the file is not decided here. Each step allocates
   * at most a small object, so this bounds the parse's time and heap where no thread can be
   * stopped. @default Infinity
   */
  maxSteps?: number;
  /** `performance.now()` past which the parse stops and the file took too long. @default Infinity */
  deadline?: number;
}

/**
 * Checks a PDF here, on this thread, within `maxSteps`; `undefined` when it needs more (the
 * worker, with its own limits, decides the file then). Synchronous from start to end, so the
 * limits and patches (all on this module's copy of pdf-lib) belong to this file alone.
 */
export function checkPdfHere(bytes: Uint8Array, limits: PdfCheckLimits): PdfCheckResult | undefined {
  const scope = checkScope();
  scope.begin(limits);
  try {
    return checkParsed(scope, bytes, limits.maxPages);
  } catch (error) {
    if (scope.overrun === 'steps') return undefined;
    if (scope.overrun === 'time') return { ok: false, detail: 'took too long to read' };
    if (scope.decodeExceeded) return { ok: false, detail: 'decompresses to too much data (a compression bomb)' };
    // A stack overflow anywhere in the parse, not only where pdf-lib would have turned it into
    // an invalid-object error.
    if (error instanceof RangeError) return { ok: false, detail: 'is nested too deeply to read' };
    return { ok: false, detail: 'could not be parsed as a PDF' };
  } finally {
    scope.end();
  }
}

/**
 * The document pdf-lib's parse makes of `bytes` here, with no limits but the decode cap; for the
 * test that holds this module's parse to pdf-lib's own.
 */
export function parsePdf(bytes: Uint8Array, maxDecodedBytes: number): PdfContext {
  const scope = checkScope();
  scope.begin({ maxDecodedBytes });
  try {
    return parseDocument(scope, bytes);
  } finally {
    scope.end();
  }
}

function checkParsed(scope: CheckScope, bytes: Uint8Array, maxPages: number): PdfCheckResult {
  const { PDFArray, PDFDict, PDFName, PDFNumber, PDFRef } = pdfLib;
  const context = parseDocument(scope, bytes);
  const active = activeContentVerdict(namesIn(context));
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

/** The synchronous parts of pdf-lib 1.17.1's parsers that its `parseDocument` drives. */
interface ByteReader {
  done(): boolean;
  peek(): number;
  offset(): number;
  moveTo(offset: number): void;
}
interface DocumentParser {
  bytes: ByteReader;
  context: PdfContext;
  parseHeader(): PdfContext['header'];
  parseIndirectObjectHeader(): PdfRef;
  parseObject(): PdfObject;
  skipWhitespaceAndComments(): void;
  matchKeyword(keyword: number[]): boolean;
  skipJibberish(): void;
  maybeParseCrossRefSection(): void;
  maybeParseTrailerDict(): void;
  maybeParseTrailer(): void;
  maybeRecoverRoot(): void;
}
interface ObjectStreamParser {
  bytes: ByteReader;
  firstOffset: number;
  parseOffsetsAndObjectNumbers(): { objectNumber: number; offset: number }[];
  parseObject(): PdfObject;
}
interface XRefStreamParser {
  subsections: { length: number }[];
  parseIntoContext(): unknown;
}

/**
 * pdf-lib's `PDFParser.parseDocument` as pdf-lib 1.17.1 runs it with `throwOnInvalidObject`
 * (an object that does not parse fails the file) and no pauses, but synchronous: pdf-lib's own is
 * async throughout only to pause every so many objects, and an async parse would let other files'
 * checks run between its steps and share its limits. Step for step the same calls; the object
 * stream and cross-reference stream parsers' async parts likewise. A test holds it to pdf-lib's
 * own parse on the corpus of letters and hostile files.
 */
function parseDocument(scope: CheckScope, bytes: Uint8Array): PdfContext {
  const parser = pdfLib.PDFParser.forBytesWithOptions(bytes, Infinity, true, false) as unknown as DocumentParser;
  const { bytes: reader, context } = parser;
  context.header = parser.parseHeader();
  let previous: number | undefined;
  while (!reader.done()) {
    parser.skipWhitespaceAndComments();
    while (!reader.done() && IsDigit[reader.peek()]) {
      parseIndirectObject(scope, parser);
      parser.skipWhitespaceAndComments();
      parser.skipJibberish();
    }
    parser.maybeParseCrossRefSection();
    parser.maybeParseTrailerDict();
    parser.maybeParseTrailer();
    parser.skipJibberish();
    const offset = reader.offset();
    if (offset === previous) throw new Error(`the parser stalled at offset ${offset}`);
    previous = offset;
  }
  parser.maybeRecoverRoot();
  // pdf-lib drops an object numbered 0 (with a warning).
  context.delete(pdfLib.PDFRef.of(0));
  return context;
}

function parseIndirectObject(scope: CheckScope, parser: DocumentParser): void {
  const { PDFName, PDFRawStream, PDFRef } = pdfLib;
  const { context } = parser;
  const ref = parser.parseIndirectObjectHeader();
  parser.skipWhitespaceAndComments();
  const object = parser.parseObject();
  parser.skipWhitespaceAndComments();
  parser.matchKeyword(Keywords.endobj);
  const type = object instanceof PDFRawStream ? object.dict.lookup(PDFName.of('Type')) : undefined;
  if (object instanceof PDFRawStream && type === PDFName.of('ObjStm')) {
    const stream = pdfLib.PDFObjectStreamParser.forStream(object) as unknown as ObjectStreamParser;
    for (const { objectNumber, offset } of stream.parseOffsetsAndObjectNumbers()) {
      stream.bytes.moveTo(stream.firstOffset + offset);
      context.assign(PDFRef.of(objectNumber, 0), stream.parseObject());
    }
  } else if (object instanceof PDFRawStream && type === PDFName.of('XRef')) {
    const xref = pdfLib.PDFXRefStreamParser.forStream(object) as unknown as XRefStreamParser;
    // Its entries are made from /Size or /Index, not from bytes read (with /W [0 0 0] none are
    // read at all): each is a step.
    scope.charge(xref.subsections.reduce((sum, { length }) => sum + length, 0));
    xref.parseIntoContext();
  } else {
    context.assign(ref, object);
  }
}

/**
 * pdf-lib's parser and object model, each from its own CommonJS file: the package's index also
 * brings the document API with its embedders and PNG codec (~120 KB of the bundle, and load
 * time in every new worker) that a check never uses.
 */
const pdfLib = {
  PDFParser: cjsDefault(parserModule),
  PDFObjectStreamParser: cjsDefault(objectStreamParserModule),
  PDFXRefStreamParser: cjsDefault(xrefStreamParserModule),
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

/** How often, in steps, the clock is read against the deadline. */
const STEPS_PER_CLOCK_READ = 4096;

/**
 * The limits of the check in progress, enforced from inside pdf-lib by patching its prototypes
 * (once per copy of pdf-lib). Outside a check every patch does what pdf-lib's own code does, so
 * other users of the same copy (tests building PDFs on the main thread) see pdf-lib unchanged.
 */
interface CheckScope {
  readonly overrun: 'steps' | 'time' | undefined;
  readonly decodeExceeded: boolean;
  begin(limits: Omit<PdfCheckLimits, 'maxPages'>): void;
  end(): void;
  /** Counts `steps` taken at once. */
  charge(steps: number): void;
}

let patched: CheckScope | undefined;

function checkScope(): CheckScope {
  patched ??= patchPdfLib();
  return patched;
}

function patchPdfLib(): CheckScope {
  let active = false;
  let steps = 0;
  let maxSteps = Infinity;
  let deadline = Infinity;
  /** The step at which to look at the limits next: Infinity while nothing can run out. */
  let checkAt = Infinity;
  let overrun: 'steps' | 'time' | undefined;
  let maxDecoded = 0;
  let decoded = 0;
  let decodeExceeded = false;

  // Once over, every further step throws too: pdf-lib catches some errors and carries on.
  const overrunAt = (reason: 'steps' | 'time'): never => {
    overrun ??= reason;
    checkAt = steps + 1;
    throw new WorkLimitReached(`the parse used its ${overrun === 'steps' ? 'steps' : 'time'}`);
  };
  const look = () => {
    if (overrun) overrunAt(overrun);
    if (steps > maxSteps) overrunAt('steps');
    if (deadline !== Infinity && performance.now() > deadline) overrunAt('time');
    checkAt = deadline === Infinity ? maxSteps + 1 : Math.min(maxSteps + 1, steps + STEPS_PER_CLOCK_READ);
  };

  type Reader = { bytes: Uint8Array; next(): number; peek(): number; done(): boolean; slice(start: number, end: number): Uint8Array };
  const reader = pdfLib.ByteStream.prototype as unknown as Reader;
  const { next, peek, done, slice } = reader;
  if ([next, peek, done, slice].some((method) => typeof method !== 'function')) throw new Error('pdf-lib has no ByteStream.next/peek/done/slice to meter');
  reader.next = function (this: Reader): number {
    if (++steps >= checkAt) look();
    return next.call(this);
  };
  reader.peek = function (this: Reader): number {
    if (++steps >= checkAt) look();
    return peek.call(this);
  };
  reader.done = function (this: Reader): boolean {
    if (++steps >= checkAt) look();
    return done.call(this);
  };
  // A stream's contents as a view of the file instead of a copy (`Uint8Array#slice`): a letter is
  // mostly one image stream, and a fresh 1.4 MiB copy a file cost 0.3 ms when the allocator
  // reused memory and 4-5 ms of page faults when it mapped new pages — ten times the parse. Safe
  // within a check: nothing writes to the contents, and the document is dropped at its end.
  reader.slice = function (this: Reader, start: number, end: number): Uint8Array {
    return active ? this.bytes.subarray(start, end) : slice.call(this, start, end);
  };

  // Caps what pdf-lib's decoders (Flate, LZW, …) may allocate while the parse decodes object and
  // xref streams. The pre-scan bounds every stream it finds, but pdf-lib is the parser that
  // counts: a stream the scan reads differently would otherwise inflate without limit (decoded
  // buffers are outside the heap limit). All decoders grow their output through
  // `DecodeStream.prototype.ensureBuffer`, reached from a stream made by pdf-lib's public
  // `decodePDFRawStream`, so this works for any build of pdf-lib.
  const { PDFContext, PDFRawStream, decodePDFRawStream } = pdfLib;
  const emptyFlate = Uint8Array.of(0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01);
  const sample = decodePDFRawStream(PDFRawStream.of(PDFContext.create().obj({ Filter: 'FlateDecode' }), emptyFlate));
  type Growable = { buffer: Uint8Array; ensureBuffer(requested: number): Uint8Array };
  let proto = Object.getPrototypeOf(sample) as Growable | null;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, 'ensureBuffer')) proto = Object.getPrototypeOf(proto) as Growable | null;
  if (!proto) throw new Error('pdf-lib has no DecodeStream.ensureBuffer to cap');
  const ensureBuffer = proto.ensureBuffer;
  const exceed = (): never => {
    decodeExceeded = true;
    throw new DecodeBudgetExceeded('a stream decodes to more than the budget');
  };
  // One stream may reach the cap (as in the pre-scan); all together twice that, since buffers
  // grow by doubling.
  proto.ensureBuffer = function (this: Growable, requested: number): Uint8Array {
    if (!active) return ensureBuffer.call(this, requested);
    if (decodeExceeded || requested > maxDecoded) return exceed();
    const before = this.buffer.byteLength;
    const buffer = ensureBuffer.call(this, requested);
    decoded += buffer.byteLength - before;
    return decoded > 2 * maxDecoded ? exceed() : buffer;
  };

  return {
    get overrun() {
      return overrun;
    },
    get decodeExceeded() {
      return decodeExceeded;
    },
    begin(limits) {
      active = true;
      steps = 0;
      maxSteps = limits.maxSteps ?? Infinity;
      deadline = limits.deadline ?? Infinity;
      overrun = undefined;
      maxDecoded = limits.maxDecodedBytes;
      decoded = 0;
      decodeExceeded = false;
      checkAt = 0; // the first step looks at the limits
    },
    end() {
      active = false;
      checkAt = Infinity;
    },
    charge(count) {
      if (maxSteps === Infinity) return;
      // NaN or more than is left: over (a negative count makes no entries).
      if (!(count <= maxSteps - steps)) overrunAt('steps');
      steps += Math.max(0, count);
    },
  };
}

/**
 * Every name in every object pdf-lib parsed, keys included — also those it read out of object
 * streams, whatever the pre-scan made of their bytes. Direct objects cannot be cyclic (a cycle
 * needs an indirect reference, which is not followed), so each is visited once; an explicit
 * stack, not recursion, so deep nesting cannot exhaust the stack.
 */
function namesIn(context: PdfContext): Set<string> {
  const { PDFArray, PDFDict, PDFName, PDFStream } = pdfLib;
  const found = new Set<string>();
  if (context.trailerInfo.Encrypt) found.add('Encrypt');
  const stack: unknown[] = context.enumerateIndirectObjects().map(([, object]) => object);
  for (let object = stack.pop(); object !== undefined; object = stack.pop()) {
    if (object instanceof PDFName) {
      // Its source form is `/` and the name itself when it has no `#` escape (pdf-lib escapes
      // every character that is not plain printable ASCII): no decoding needed, which was a
      // tenth of the check. pdf-lib decodes only upper-case #XX escapes; viewers decode both cases.
      const encoded = object.asString();
      noteName(encoded.includes('#') ? decodeName(object.decodeText()) : encoded.slice(1), found);
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

/**
 * Serves files until terminated; one at a time (the main thread waits for each result), with no
 * step limit: here the main thread's timer and the heap limit stop a parse.
 */
function serve(port: MessagePort): void {
  port.on('message', (job: PdfCheckJob) => {
    const result = checkPdfHere(new Uint8Array(job.buffer, 0, job.length), { maxPages: job.maxPages, maxDecodedBytes: job.maxDecodedBytes }) ?? { ok: false, detail: 'could not be read' };
    // The document (which held views of the buffer) is gone when the buffer goes back; after a
    // decode budget was hit the heap may be ragged, so the worker is not reused.
    const reusable = !checkScope().decodeExceeded;
    port.postMessage({ type: 'result', id: job.id, result, reusable, buffer: job.buffer } satisfies PdfWorkerMessage, [job.buffer]);
  });
  checkScope();
  port.postMessage({ type: 'ready' } satisfies PdfWorkerMessage);
}

if (!isMainThread && isWorkerOfThis(workerData) && parentPort) serve(parentPort);
