import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContentLetterInspector } from '../../lib/adapters/content-letter-inspector.js';
import { pdfWorkersAlive } from '../../lib/adapters/pdf-check.js';
import { PdfLetterTemplate } from '../../lib/adapters/pdf-letter-template.js';
import type { LetterTemplateData, LetterVerdict } from '../../lib/app/ports.js';
import { LETTER_MAX_BYTES } from '../../lib/domain/letter.js';
import { LETTER_TYPES, type LetterType } from '../../lib/domain/revocation.js';
import * as letters from '../fixtures/letters.js';

// Real sharp, real pdf-lib (here and in a real worker thread): every hostile file below is one the issue
// names, and each must be refused within the time budget without harming the process.

const APPLICATION = LETTER_TYPES.application; // jpg, gif, pdf
const CONFIRMATION = LETTER_TYPES.confirmation; // jpg, png, pdf
const EVERY: readonly LetterType[] = ['jpg', 'png', 'gif', 'pdf'];
/** The PDF budget (3 s) plus worker start-up, with room for a loaded machine. */
const BOUND_MS = 5_000;

const inspector = new ContentLetterInspector();
/** Sends every PDF to the worker: letters are otherwise decided on this thread (test/integration/pdf-check.test.ts). */
const viaWorker = new ContentLetterInspector({ pdfMainThreadSteps: 0 });

const files = {} as {
  jpeg: Uint8Array;
  png: Uint8Array;
  gif: Uint8Array;
  animatedGif: Uint8Array;
  pdf: Uint8Array;
  maxSizePdf: Uint8Array;
  bigJpeg: Uint8Array;
  flateBomb: Uint8Array;
  chainedFlateBomb: Uint8Array;
};

beforeAll(async () => {
  const [jpeg, png, gif, animatedGif, pdf, maxSizePdf, bigJpeg, flateBomb, chainedFlateBomb] = await Promise.all([
    letters.jpegLetter(),
    letters.pngLetter(),
    letters.gifLetter(),
    letters.gifLetter(3),
    letters.pdfLetter(),
    letters.pdfOfSize(LETTER_MAX_BYTES),
    letters.jpegNear(1_400 * 1024),
    letters.flateBombPdf(),
    letters.chainedFlateBombPdf(),
  ]);
  Object.assign(files, { jpeg, png, gif, animatedGif, pdf, maxSizePdf, bigJpeg, flateBomb, chainedFlateBomb });
});

async function timed(bytes: Uint8Array, allowed: readonly LetterType[], using = inspector): Promise<{ verdict: LetterVerdict; ms: number }> {
  const started = performance.now();
  const verdict = await using.inspect(bytes, allowed);
  return { verdict, ms: performance.now() - started };
}

function expectRejected(verdict: LetterVerdict, code: string, detail?: RegExp): void {
  expect(verdict).toMatchObject({ ok: false, code });
  if (detail && !verdict.ok) expect(verdict.detail).toMatch(detail);
}

describe('ContentLetterInspector accepts', () => {
  it('accepts a JPEG for an application letter, with its dimensions (the SHA-256 is the store\'s, taken during the download)', async () => {
    const verdict = await inspector.inspect(files.jpeg, APPLICATION);
    expect(verdict).toEqual({
      ok: true,
      type: 'jpg',
      contentType: 'image/jpeg',
      bytes: files.jpeg.length,
      width: 300,
      height: 200,
    });
  });

  it('accepts a progressive JPEG (several scans before the end marker)', async () => {
    expect(await inspector.inspect(await letters.progressiveJpegLetter(), CONFIRMATION)).toMatchObject({ ok: true, type: 'jpg' });
  });

  it('leaves a Buffer passed in intact (the worker gets its own copy)', async () => {
    // Large enough to own its ArrayBuffer (small Buffers share a pool that cannot be transferred).
    const buffer = Buffer.from(files.maxSizePdf);
    const verdict = await inspector.inspect(buffer, CONFIRMATION);
    expect(verdict).toMatchObject({ ok: true, type: 'pdf', bytes: files.maxSizePdf.length });
    expect(buffer.length).toBe(files.maxSizePdf.length);
    expect(buffer.equals(files.maxSizePdf)).toBe(true);
  });

  it('accepts a PNG for a confirmation letter', async () => {
    expect(await inspector.inspect(files.png, CONFIRMATION)).toMatchObject({ ok: true, type: 'png', contentType: 'image/png', width: 120, height: 80 });
  });

  it('accepts a still and an animated GIF for an application letter, counting frames', async () => {
    expect(await inspector.inspect(files.gif, APPLICATION)).toMatchObject({ ok: true, type: 'gif', contentType: 'image/gif', pages: 1 });
    expect(await inspector.inspect(files.animatedGif, APPLICATION)).toMatchObject({ ok: true, type: 'gif', width: 64, height: 48, pages: 3 });
  });

  it('accepts a PDF (whatever the upload was named: only bytes reach the inspector)', async () => {
    const verdict = await inspector.inspect(files.pdf, CONFIRMATION);
    expect(verdict).toMatchObject({ ok: true, type: 'pdf', contentType: 'application/pdf', pages: 1, bytes: files.pdf.length });
  });

  it('accepts the letter template as rendered, of one page and of several', async () => {
    const data: LetterTemplateData = {
      kind: 'confirmation',
      revocationId: 'rev_01JQ8ZC4T2W9',
      certificateId: 'cert_01JQ8Z7M5K3B',
      domains: ['ssl.example.com'],
      serialNumber: '4F2A9C0E11B3D5E7F90123456789ABCDEF012345',
      brand: 'GeoTrust',
      productType: 'OV',
      reason: 'Key (really) compromised \\ café € 腾讯',
      reasonCode: 'keyCompromise',
      date: '2025-03-14',
      enterpriseName: 'Société Générale',
    };
    const template = new PdfLetterTemplate();
    const short = await template.render(data);
    expect(await inspector.inspect(short, CONFIRMATION)).toMatchObject({ ok: true, type: 'pdf', pages: 1, bytes: short.length });
    const long = await template.render({ ...data, domains: Array.from({ length: 150 }, (_, i) => `host-${i}.a-rather-long-subdomain-name.example.com`) });
    const verdict = await inspector.inspect(long, CONFIRMATION);
    expect(verdict).toMatchObject({ ok: true, type: 'pdf' });
    expect(verdict.ok && verdict.pages).toBeGreaterThan(1);
  });

  it('accepts a PDF of exactly 1,468,006 bytes', async () => {
    expect(files.maxSizePdf.length).toBe(1_468_006);
    expect(await inspector.inspect(files.maxSizePdf, APPLICATION)).toMatchObject({ ok: true, type: 'pdf', bytes: 1_468_006 });
  });

  it('accepts a PDF of 20 pages and rejects one of 21', async () => {
    expect(await inspector.inspect(await letters.pdfWithPages(20), EVERY)).toMatchObject({ ok: true, pages: 20 });
    expectRejected(await inspector.inspect(await letters.pdfWithPages(21), EVERY), 'LETTER_UNREADABLE', /more than 20 pages/);
  });

  it('inspects a 1.4 MiB JPEG and a 1.4 MiB PDF well within the processor budget', async () => {
    const jpeg = await timed(files.bigJpeg, CONFIRMATION);
    const pdf = await timed(files.maxSizePdf, CONFIRMATION);
    console.log(
      `inspect: JPEG ${files.bigJpeg.length} bytes in ${jpeg.ms.toFixed(0)} ms; PDF ${files.maxSizePdf.length} bytes in ${pdf.ms.toFixed(0)} ms`,
    );
    expect(jpeg.verdict).toMatchObject({ ok: true, type: 'jpg' });
    expect(pdf.verdict).toMatchObject({ ok: true, type: 'pdf' });
  });
});

describe('ContentLetterInspector rejects', () => {
  it('rejects a PNG for an application letter and a GIF for a confirmation letter as LETTER_TYPE_NOT_ALLOWED', async () => {
    expectRejected(await inspector.inspect(files.png, APPLICATION), 'LETTER_TYPE_NOT_ALLOWED', /PNG is not allowed/);
    expectRejected(await inspector.inspect(files.gif, CONFIRMATION), 'LETTER_TYPE_NOT_ALLOWED', /GIF is not allowed/);
  });

  it('rejects 1023 and 1,468,007 bytes by size', async () => {
    expectRejected(await inspector.inspect(letters.truncate(files.jpeg, 1023), EVERY), 'LETTER_TOO_SMALL');
    const tooLarge = letters.concat(files.maxSizePdf, Uint8Array.of(0x0a));
    expect(tooLarge.length).toBe(1_468_007);
    expectRejected(await inspector.inspect(tooLarge, EVERY), 'LETTER_TOO_LARGE');
  });

  it.each([
    ['HTML named .jpg (no magic bytes)', () => letters.htmlPage(), 'LETTER_UNREADABLE'],
    ['an SVG named .png, with an XML declaration', () => letters.svgWithDeclaration(), 'LETTER_TYPE_NOT_ALLOWED'],
    ['an SVG named .png, bare', () => letters.bareSvg(), 'LETTER_UNREADABLE'],
    ['a TIFF named .png', () => letters.TIFF(), 'LETTER_TYPE_NOT_ALLOWED'],
  ] as const)('rejects %s as %s', async (_name, make, code) => {
    expectRejected(await inspector.inspect(await make(), EVERY), code);
  });

  it.each([
    ['a PNG declaring 30000×30000 pixels', () => letters.pngBomb(), /too many pixels/],
    ['a truncated JPEG', async () => letters.truncate(files.jpeg, files.jpeg.length - 500), /truncated/],
    ['a truncated PNG', async () => letters.truncate(files.png, files.png.length - 20), /truncated/],
    ['a GIF without its trailer byte', async () => letters.truncate(files.animatedGif, files.animatedGif.length - 1), /no trailer/],
    ['a GIF cut in its last frame', async () => letters.truncate(files.animatedGif, files.animatedGif.length - 200), /truncated/],
    ['a GIF of 51 frames', () => letters.gifLetter(51, 16, 16), /51 frames/],
    ['a JPEG with a PDF appended (polyglot)', async () => letters.concat(files.jpeg, files.pdf), /after the end of the image/],
    ['a PNG with bytes after IEND', async () => letters.concat(files.png, new Uint8Array(16)), /after the end of the image/],
    ['a GIF89a-prefixed PDF', async () => letters.gifPrefixedPdf(files.pdf), /corrupt/],
  ])('rejects %s as LETTER_UNREADABLE', async (_name, make, detail) => {
    expectRejected(await inspector.inspect(await make(), EVERY), 'LETTER_UNREADABLE', detail);
  });

  it.each([
    ['a truncated PDF', async () => letters.truncate(files.pdf, Math.floor(files.pdf.length * 0.7)), /truncated/],
    ['an encrypted PDF', async () => letters.encryptedPdf(), /encrypted/],
    ['a PDF whose /OpenAction runs JavaScript', async () => letters.openActionJavaScriptPdf(), /JavaScript when opened/],
    ['a PDF hiding /JS behind #-escaped names', async () => letters.escapedJavaScriptPdf(), /JavaScript/],
    ['a PDF whose /OpenAction JavaScript sits in a compressed object stream', () => letters.openActionPdfInObjectStream(), /JavaScript/],
    ['a PDF with garbage after its header', async () => letters.garbagePdf(), /catalog|parsed/],
  ])('rejects %s as LETTER_UNREADABLE', async (_name, make, detail) => {
    expectRejected(await inspector.inspect(await make(), EVERY), 'LETTER_UNREADABLE', detail);
  });

  it.each([
    ['a self-referencing /Kids page tree', async () => letters.selfReferencingKidsPdf(), /cycle/],
    ['a fan-out page tree 20 levels deep', async () => letters.fanOutPagesPdf(20), /shared node/],
    ['a Flate stream of 200 MB of zeros', async () => files.flateBomb, /compression bomb/],
    ['a chained-Flate object stream', async () => files.chainedFlateBomb, /compression bomb/],
  ])('rejects %s within the time budget, and the process stays healthy', async (_name, make, detail) => {
    const { verdict, ms } = await timed(await make(), EVERY);
    expectRejected(verdict, 'LETTER_UNREADABLE', detail);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(await inspector.inspect(files.pdf, EVERY)).toMatchObject({ ok: true, type: 'pdf' });
    expect(await inspector.inspect(files.jpeg, EVERY)).toMatchObject({ ok: true, type: 'jpg' });
  });

  it('rejects a PDF whose parse outlasts the budget, terminating the worker', async () => {
    const slow = new ContentLetterInspector({ pdfTimeBudgetMs: 1, pdfMainThreadSteps: 0 });
    const { verdict, ms } = await timed(letters.manyObjectsPdf(8_000), EVERY, slow);
    expectRejected(verdict, 'LETTER_UNREADABLE', /took too long/);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(await inspector.inspect(letters.manyObjectsPdf(8_000), EVERY)).toMatchObject({ ok: true, pages: 1 });
  });

  it('refuses hostile PDFs side by side with good ones, taking turns on one worker', async () => {
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, pdfWorkersAlive())), 1);
    const verdicts = await Promise.all(
      [letters.selfReferencingKidsPdf(), files.pdf, files.chainedFlateBomb, files.maxSizePdf, letters.fanOutPagesPdf()].map((bytes) => viaWorker.inspect(bytes, EVERY)),
    );
    clearInterval(sampler);
    expect(verdicts.map((v) => v.ok)).toEqual([false, true, false, true, false]);
    expect(most).toBe(1);
  });

  it('never starts a parse of a PDF the pre-scan refused, so a burst of them never has two workers alive', async () => {
    // Each of these is refused by the pre-scan in a millisecond; parses started beside the scan
    // used to leave a worker behind for every file.
    const refused = [letters.encryptedPdf(), letters.openActionJavaScriptPdf(), files.flateBomb, files.chainedFlateBomb];
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, pdfWorkersAlive())), 1);
    for (let round = 0; round < 5; round++) {
      for (const bytes of refused) expectRejected(await viaWorker.inspect(bytes, EVERY), 'LETTER_UNREADABLE');
    }
    await Promise.all(refused.map(async (bytes) => expectRejected(await viaWorker.inspect(bytes, EVERY), 'LETTER_UNREADABLE')));
    expect(await viaWorker.inspect(files.pdf, EVERY)).toMatchObject({ ok: true, type: 'pdf' });
    clearInterval(sampler);
    expect(most).toBe(1);
  });

  it('lets an object stream inflate to 4 MiB at most, and an image stream to the whole 32 MiB', async () => {
    const objectStream = letters.simpleHandPdf({ extraObjects: [letters.streamObject('/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode', await letters.deflateZeros(5 * 1024 * 1024))] });
    const image = letters.simpleHandPdf({
      extraObjects: [letters.streamObject('/Type /XObject /Subtype /Image /Width 4096 /Height 5120 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode', await letters.deflateZeros(20 * 1024 * 1024))],
    });
    expectRejected(await inspector.inspect(objectStream, EVERY), 'LETTER_UNREADABLE', /compression bomb/);
    expect(await inspector.inspect(image, EVERY)).toMatchObject({ ok: true, type: 'pdf', pages: 1 });
  });

  it('leaves sharp unable to decode anything but JPEG, PNG and GIF in this process', async () => {
    // The inspector loads and locks down sharp at its first image.
    const thumbnail = await inspector.thumbnail(files.jpeg, 'jpg');
    await expect(sharp(await letters.TIFF()).metadata()).rejects.toThrow(/unsupported image format/);
    await expect(sharp(letters.bareSvg()).metadata()).rejects.toThrow(/unsupported image format/);
    await expect(sharp(thumbnail).metadata()).rejects.toThrow(/unsupported image format/);
  });
});

describe('ContentLetterInspector thumbnails', () => {
  function expectWebp(bytes: Uint8Array): void {
    const header = Buffer.from(bytes.subarray(0, 12)).toString('latin1');
    expect(header.slice(0, 4)).toBe('RIFF');
    expect(header.slice(8, 12)).toBe('WEBP');
  }

  // Sizes come from the WebP header: sharp's WebP loader is blocked in this process by design.
  it('scales a large JPEG to 400 px wide, keeping its aspect ratio', async () => {
    const thumb = await inspector.thumbnail(files.bigJpeg, 'jpg');
    expectWebp(thumb);
    const { width, height } = letters.webpSize(thumb);
    expect(width).toBe(400);
    expect(height).toBeCloseTo(400 * 1.414, -1);
  });

  it('never enlarges a small PNG', async () => {
    const thumb = await inspector.thumbnail(files.png, 'png');
    expectWebp(thumb);
    expect(letters.webpSize(thumb)).toEqual({ width: 120, height: 80 });
  });

  it('takes the first frame of an animated GIF', async () => {
    const thumb = await inspector.thumbnail(files.animatedGif, 'gif');
    expectWebp(thumb);
    expect(letters.webpSize(thumb)).toEqual({ width: 64, height: 48 });
  });

  it('gives a PDF a page-shaped placeholder', async () => {
    const thumb = await inspector.thumbnail(files.pdf, 'pdf');
    expectWebp(thumb);
    expect(letters.webpSize(thumb)).toEqual({ width: 283, height: 400 });
    // Light grey all over. Decoded in a process of its own: WebP loading is blocked in this one.
    const script = "require('sharp')(require('fs').readFileSync(0)).stats().then((s) => process.stdout.write(JSON.stringify(s.channels)))";
    const channels = JSON.parse(execFileSync(process.execPath, ['-e', script], { input: thumb }).toString()) as { min: number; max: number }[];
    expect(channels.length).toBeGreaterThanOrEqual(3);
    for (const channel of channels.slice(0, 3)) {
      expect(channel.min).toBeGreaterThanOrEqual(0xe0);
      expect(channel.max).toBeLessThanOrEqual(0xea);
    }
  });
});
