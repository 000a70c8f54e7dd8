import { describe, expect, it } from 'vitest';
import { PDFParser, type PDFContext } from 'pdf-lib';
import { ContentLetterInspector } from '../../lib/adapters/content-letter-inspector.js';
import { MAIN_THREAD_STEPS, pdfFilesSentToWorker } from '../../lib/adapters/pdf-check.js';
import { checkPdfHere, parsePdf } from '../../lib/adapters/pdf-check.worker.js';
import { LETTER_MAX_BYTES } from '../../lib/domain/letter.js';
import * as letters from '../fixtures/letters.js';

// Real pdf-lib, on this thread and in its real worker thread. Where each file is decided is
// read from the count of files sent to the worker.

const LIMITS = { maxPages: 20, maxDecodedBytes: 4 * 1024 * 1024 };
const inspector = new ContentLetterInspector();

/** Stray text after an object whose run of digits makes pdf-lib's skipJibberish quadratic (~L²/2 steps). */
function quadraticJibberishPdf(digits: number): Uint8Array {
  return letters.simpleHandPdf({ extraObjects: [`<< >>\nendobj\nx${'1'.repeat(digits)}\n0 0 obj\nnull`] });
}

/** A cross-reference stream of a billion entries that reads no bytes for them (/W [0 0 0]). */
function billionEntryXRefPdf(): Uint8Array {
  return letters.simpleHandPdf({ extraObjects: [letters.streamObject('/Type /XRef /Size 1000000000 /W [0 0 0]', new Uint8Array(0))] });
}

async function sentToWorker<T>(run: () => Promise<T>): Promise<{ result: T; sent: number }> {
  const before = pdfFilesSentToWorker();
  const result = await run();
  return { result, sent: pdfFilesSentToWorker() - before };
}

describe('the PDF check on the main thread', () => {
  it('decides letters here, up to the largest and a 20-page one, without the worker', async () => {
    const files = await Promise.all([letters.pdfLetter(), letters.pdfOfSize(LETTER_MAX_BYTES), letters.pdfWithPages(20), letters.pdfLetter({ useObjectStreams: true })]);
    const { result, sent } = await sentToWorker(() => Promise.all(files.map((bytes) => inspector.inspect(bytes, ['pdf']))));
    expect(result.map((v) => v.ok && v.pages)).toEqual([1, 1, 20, 1]);
    expect(sent).toBe(0);
    // With room to spare: each takes a small share of the steps this thread allows.
    for (const bytes of files) expect(checkPdfHere(bytes, { ...LIMITS, maxSteps: MAIN_THREAD_STEPS / 10 })).toMatchObject({ ok: true });
  });

  it('refuses hostile files here that need no more than its steps, with the same reasons as before', async () => {
    const { result, sent } = await sentToWorker(() =>
      Promise.all([letters.selfReferencingKidsPdf(), letters.fanOutPagesPdf(), letters.chainedFlateBombPdf(), letters.openActionPdfInObjectStream()].map(async (bytes) => inspector.inspect(await bytes, ['pdf']))),
    );
    expect(result.map((v) => !v.ok && v.detail)).toEqual([expect.stringMatching(/cycle/), expect.stringMatching(/shared node/), expect.stringMatching(/compression bomb/), expect.stringMatching(/JavaScript/)]);
    expect(sent).toBe(0);
  });

  it('gives up here at its steps on a file that sends pdf-lib quadratic, and the worker refuses it at the time budget', async () => {
    const bytes = quadraticJibberishPdf(300_000); // ~4.5e10 steps: hours, unmetered
    expect(checkPdfHere(bytes, { ...LIMITS, maxSteps: MAIN_THREAD_STEPS })).toBeUndefined();
    const { result, sent } = await sentToWorker(() => new ContentLetterInspector({ pdfTimeBudgetMs: 300 }).inspect(bytes, ['pdf']));
    expect(result).toMatchObject({ ok: false, code: 'LETTER_UNREADABLE', detail: expect.stringMatching(/took too long/) });
    expect(sent).toBe(1);
  });

  it('counts the entries of a cross-reference stream as steps, though none are read, and the worker refuses the file at its heap limit', async () => {
    const bytes = billionEntryXRefPdf();
    expect(checkPdfHere(bytes, { ...LIMITS, maxSteps: MAIN_THREAD_STEPS })).toBeUndefined();
    const { result, sent } = await sentToWorker(() => inspector.inspect(bytes, ['pdf']));
    expect(result).toMatchObject({ ok: false, code: 'LETTER_UNREADABLE', detail: expect.stringMatching(/too much memory|took too long/) });
    expect(sent).toBe(1);
  });

  it('sends a good file that needs more than its steps to the worker, which accepts it', async () => {
    const bytes = letters.manyObjectsPdf(2_000);
    expect(checkPdfHere(bytes, { ...LIMITS, maxSteps: 1_000 })).toBeUndefined();
    const { result, sent } = await sentToWorker(() => new ContentLetterInspector({ pdfMainThreadSteps: 1_000 }).inspect(bytes, ['pdf']));
    expect(result).toMatchObject({ ok: true, pages: 1 });
    expect(sent).toBe(1);
  });

  it('refuses a file here when its parse passes the time budget', () => {
    expect(checkPdfHere(letters.manyObjectsPdf(2_000), { ...LIMITS, deadline: performance.now() - 1 })).toEqual({ ok: false, detail: 'took too long to read' });
  });

  it('leaves pdf-lib as it was between checks: streams are copies and nothing is counted or capped', async () => {
    const bytes = await letters.pdfOfSize(LETTER_MAX_BYTES);
    checkPdfHere(bytes, LIMITS);
    // A parse of pdf-lib's own on this thread after a check: a 5 MiB object stream decodes in full.
    const objectStream = letters.simpleHandPdf({ extraObjects: [letters.streamObject('/Type /ObjStm /N 0 /First 0 /Filter /FlateDecode', await letters.deflateZeros(5 * 1024 * 1024))] });
    const context = await PDFParser.forBytesWithOptions(objectStream, Infinity, true, false).parseDocument();
    const image = [...context.enumerateIndirectObjects()].map(([, object]) => object).find((object) => 'contents' in object) as { contents: Uint8Array };
    expect(image.contents.buffer).not.toBe(objectStream.buffer);
    // ~4.5 million steps, past the main thread's limit: uncounted outside a check.
    await expect(PDFParser.forBytesWithOptions(quadraticJibberishPdf(3_000), Infinity, true, false).parseDocument()).resolves.toBeDefined();
  });
});

describe('the synchronous parse', () => {
  it('makes the same document as pdf-lib’s own parseDocument, or fails where it fails', async () => {
    const files: Uint8Array[] = await Promise.all([
      letters.pdfLetter(),
      letters.pdfLetter({ useObjectStreams: true }),
      letters.pdfWithPages(3),
      letters.openActionPdfInObjectStream(),
      letters.encryptedPdf(),
      letters.selfReferencingKidsPdf(),
      letters.fanOutPagesPdf(4),
      letters.garbagePdf(),
      letters.manyObjectsPdf(50),
      letters.truncate(await letters.pdfLetter(), 2_000),
      quadraticJibberishPdf(100),
      letters.simpleHandPdf({ trailerExtra: '/Prev 0' }),
    ]);
    for (const bytes of files) {
      const ours = describeParse(() => parsePdf(bytes, LIMITS.maxDecodedBytes));
      const theirs = describeParse(() => PDFParser.forBytesWithOptions(bytes.slice(), Infinity, true, false).parseDocument());
      expect(await ours).toEqual(await theirs);
    }
  });
});

/** What a parse made: every object's ref and kind, and the trailer's root; or that it failed. */
async function describeParse(parse: () => unknown): Promise<unknown> {
  try {
    const context = (await parse()) as PDFContext;
    return {
      objects: context.enumerateIndirectObjects().map(([ref, object]) => `${ref.tag} ${object.constructor.name}`),
      root: String(context.trailerInfo.Root),
      encrypted: context.trailerInfo.Encrypt !== undefined,
    };
  } catch {
    return 'failed';
  }
}
