import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import sharp, { type FailOnOptions } from 'sharp';
import type { LetterInspector, LetterVerdict } from '../app/ports.js';
import { checkLetterSize } from '../domain/letter.js';
import type { LetterType } from '../domain/revocation.js';
import { checkGifStructure, checkJpegStructure, checkPngStructure, type ImageStructure } from './image-structure.js';
import { checkPdfInWorker } from './pdf-check.worker.js';
import { prescanPdf } from './pdf-prescan.js';

export interface ContentLetterInspectorOptions {
  /** Wall-clock budget for pdf-lib's parse in its worker. @default 3000 */
  pdfTimeBudgetMs?: number;
  /** Width × height × frames an image may have. @default 25_000_000 */
  maxPixels?: number;
  /** @default 50 */
  maxGifFrames?: number;
  /** @default 20 */
  maxPdfPages?: number;
  /**
   * What all of a PDF's Flate streams together may inflate to; a single stream may use all of it
   * (a Flate-compressed A4 colour scan at 300 dpi is about 26 MB raw). @default 32 MiB
   */
  maxInflatedBytes?: number;
}

const CONTENT_TYPES: Record<LetterType, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  pdf: 'application/pdf',
};

/** file-type's extension → letter type. Anything else it recognises is a known, refused format. */
const DETECTED: ReadonlyMap<string, LetterType> = new Map([
  ['jpg', 'jpg'],
  ['png', 'png'],
  ['gif', 'gif'],
  ['pdf', 'pdf'],
]);

const STRUCTURE: Record<Exclude<LetterType, 'pdf'>, (bytes: Uint8Array) => ImageStructure> = {
  jpg: checkJpegStructure,
  png: checkPngStructure,
  gif: checkGifStructure,
};

const NAMES: Record<LetterType, string> = { jpg: 'JPEG', png: 'PNG', gif: 'GIF', pdf: 'PDF' };

/**
 * Errors and truncation fail; warnings pass. `'warning'` would also refuse a JPEG whose data
 * segment ends early (a zero-filled hole) but refuses too the many phone JPEGs libjpeg finds
 * "extraneous bytes" in; the end-marker walk already refuses every file that is cut short.
 */
const FAIL_ON: FailOnOptions = 'error';
const THUMBNAIL_WIDTH = 400;

let sharpConfigured = false;

/**
 * libvips can load dozens of formats, several through large parsers (SVG via librsvg, TIFF,
 * HEIF, PDF, ImageMagick). Blocking every loader and unblocking only the three buffer loaders
 * letters need means a file that slipped past type detection still cannot reach those parsers.
 * This is process-wide: the processor is the only sharp user in its process.
 */
function configureSharp(): void {
  if (sharpConfigured) return;
  sharp.block({ operation: ['VipsForeignLoad'] });
  sharp.unblock({ operation: ['VipsForeignLoadJpegBuffer', 'VipsForeignLoadPngBuffer', 'VipsForeignLoadNsgifBuffer'] });
  // Each letter is decoded once: libvips' operation cache would only hold on to memory.
  sharp.cache(false);
  sharp.concurrency(1);
  sharpConfigured = true;
}

/**
 * Decides what an uploaded letter is from its bytes: size, type by magic bytes (file-type), then
 * a full, bounded decode — sharp for images (JPEG, PNG, GIF only), a byte-level pre-scan and a
 * time-boxed pdf-lib parse in a worker for PDFs — and the SHA-256 recorded as evidence.
 *
 * Codes: a format file-type recognises but letters do not use (HTML is not recognised; TIFF,
 * WebP, XML/SVG with a declaration, ZIP are) or one outside `allowed` → `LETTER_TYPE_NOT_ALLOWED`;
 * bytes no format matches, and everything that fails to decode, is truncated, has data after
 * its end, is too large in pixels, frames or pages, is encrypted or active → `LETTER_UNREADABLE`.
 * `inspect` throws only for our own failures (the PDF worker could not start): retry, don't refuse.
 */
export class ContentLetterInspector implements LetterInspector {
  private readonly pdfTimeBudgetMs: number;
  private readonly maxPixels: number;
  private readonly maxGifFrames: number;
  private readonly maxPdfPages: number;
  private readonly maxInflatedBytes: number;
  private placeholder: Promise<Uint8Array> | undefined;

  constructor(options: ContentLetterInspectorOptions = {}) {
    this.pdfTimeBudgetMs = options.pdfTimeBudgetMs ?? 3000;
    this.maxPixels = options.maxPixels ?? 25_000_000;
    this.maxGifFrames = options.maxGifFrames ?? 50;
    this.maxPdfPages = options.maxPdfPages ?? 20;
    this.maxInflatedBytes = options.maxInflatedBytes ?? 32 * 1024 * 1024;
    configureSharp();
  }

  async inspect(bytes: Uint8Array, allowed: readonly LetterType[]): Promise<LetterVerdict> {
    // The caller checked the size already (it must, to read no more than the limit); again here
    // so that this class alone upholds the rule.
    const size = checkLetterSize(bytes.length);
    if (!size.ok) return { ok: false, code: size.code, detail: `The file is ${bytes.length} bytes.` };

    const detected = await fileTypeFromBuffer(bytes).catch(() => undefined);
    if (!detected) return unreadable('The file is not a recognisable image or PDF.');
    const type = DETECTED.get(detected.ext);
    if (!type) return { ok: false, code: 'LETTER_TYPE_NOT_ALLOWED', detail: `The file is ${detected.ext.toUpperCase()}, not JPG, PNG, GIF or PDF.` };
    if (!allowed.includes(type)) {
      return { ok: false, code: 'LETTER_TYPE_NOT_ALLOWED', detail: `${NAMES[type]} is not allowed here; allowed: ${allowed.map((t) => NAMES[t]).join(', ')}.` };
    }

    const decoded = type === 'pdf' ? await this.decodePdf(bytes) : await this.decodeImage(bytes, type);
    if (!decoded.ok) return unreadable(`The ${NAMES[type]} ${decoded.detail}.`);
    return {
      ok: true,
      type,
      contentType: CONTENT_TYPES[type],
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      ...decoded.facts,
    };
  }

  async thumbnail(bytes: Uint8Array, type: LetterType): Promise<Uint8Array> {
    if (type === 'pdf') {
      this.placeholder ??= pdfPlaceholder().catch((error: unknown) => {
        this.placeholder = undefined;
        throw error;
      });
      return this.placeholder;
    }
    // `pages: 1`: the first frame of a GIF; autoOrient: phone scans carry an EXIF rotation.
    const webp = await sharp(bytes, { failOn: FAIL_ON, limitInputPixels: this.maxPixels, pages: 1, autoOrient: true })
      .resize({ width: THUMBNAIL_WIDTH, withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
    return new Uint8Array(webp.buffer, webp.byteOffset, webp.byteLength);
  }

  /**
   * The end-marker walk first (cheap, and it counts GIF frames without decoding), then sharp's
   * header for dimensions, then a full decode through `stats()`, which streams every pixel of
   * every frame without holding the decoded image in memory.
   */
  private async decodeImage(bytes: Uint8Array, type: Exclude<LetterType, 'pdf'>): Promise<Decoded> {
    const structure = STRUCTURE[type](bytes);
    if (!structure.ok) return structure;
    if (structure.frames > this.maxGifFrames) return { ok: false, detail: `has ${structure.frames} frames (at most ${this.maxGifFrames})` };
    const pages = type === 'gif' ? -1 : 1;
    const options = { failOn: FAIL_ON, limitInputPixels: this.maxPixels, pages };
    try {
      const meta = await sharp(bytes, options).metadata();
      const width = meta.width;
      const height = meta.pageHeight ?? meta.height;
      const frames = meta.pages ?? 1;
      if (!width || !height) return { ok: false, detail: 'has no dimensions' };
      if (frames > this.maxGifFrames) return { ok: false, detail: `has ${frames} frames (at most ${this.maxGifFrames})` };
      if (width * height * frames > this.maxPixels) return { ok: false, detail: `has too many pixels (${width}×${height}×${frames})` };
      await sharp(bytes, options).stats();
      return { ok: true, facts: type === 'gif' ? { width, height, pages: frames } : { width, height } };
    } catch (error) {
      return { ok: false, detail: sharpFailure(error) };
    }
  }

  private async decodePdf(bytes: Uint8Array): Promise<Decoded> {
    const scan = prescanPdf(bytes, { maxInflatedBytes: this.maxInflatedBytes });
    if (!scan.ok) return scan;
    const parsed = await checkPdfInWorker(bytes, { maxPages: this.maxPdfPages, timeBudgetMs: this.pdfTimeBudgetMs });
    if (!parsed.ok) return parsed;
    return { ok: true, facts: { pages: parsed.pages } };
  }
}

type Decoded = { ok: true; facts: { pages?: number; width?: number; height?: number } } | { ok: false; detail: string };

function unreadable(detail: string): LetterVerdict {
  return { ok: false, code: 'LETTER_UNREADABLE', detail };
}

/** libvips' first line, e.g. "Input image exceeds pixel limit" — short, and never a path or stack. */
function sharpFailure(error: unknown): string {
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
  if (/pixel limit/i.test(message)) return 'has too many pixels';
  if (/unsupported image format/i.test(message)) return 'is in a format that is not decoded here';
  const reason = message.replace(/^\w+:\s*/, '').trim().slice(0, 120);
  return reason ? `could not be decoded (${reason})` : 'could not be decoded';
}

/** A light-grey A4-shaped page: PDFs are not rendered (that would need a PDF renderer). */
async function pdfPlaceholder(): Promise<Uint8Array> {
  const webp = await sharp({ create: { width: 283, height: 400, channels: 3, background: '#e5e5e5' } }).webp().toBuffer();
  return new Uint8Array(webp.buffer, webp.byteOffset, webp.byteLength);
}
