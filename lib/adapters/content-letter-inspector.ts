import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { fileTypeFromBuffer } from 'file-type';
import type sharpModule from 'sharp';
import type { FailOnOptions } from 'sharp';
import type { LetterInspector, LetterVerdict } from '../app/ports.js';
import { checkLetterSize } from '../domain/letter.js';
import type { LetterType } from '../domain/revocation.js';
import { checkGifStructure, checkJpegStructure, checkPngStructure, type ImageStructure } from './image-structure.js';
import { checkPdf } from './pdf-check.js';
import { prescanPdf } from './pdf-prescan.js';

export interface ContentLetterInspectorOptions {
  /** Wall-clock budget for pdf-lib's parse, here or in its worker. @default 3000 */
  pdfTimeBudgetMs?: number;
  /** Steps the parse may take on this thread before the file goes to the worker. @default MAIN_THREAD_STEPS (pdf-check.ts) */
  pdfMainThreadSteps?: number;
  /** Wall-clock budget for decoding an image, in whole seconds as libvips counts them. @default 3000 */
  imageTimeBudgetMs?: number;
  /** Width × height × frames an image may have. @default 25_000_000 */
  maxPixels?: number;
  /** @default 50 */
  maxGifFrames?: number;
  /**
   * A progressive JPEG is held whole as DCT coefficients (2 bytes a sample) until its last scan:
   * 25 MP of 4:4:4 CMYK is 200 MB, at most this much. An A4 page at 300 dpi needs 26 MB in
   * 4:2:0 colour, 52 MB in 4:4:4. @default 96 MiB
   */
  maxProgressiveJpegBytes?: number;
  /** @default 20 */
  maxPdfPages?: number;
  /**
   * What all of a PDF's Flate streams together may inflate to; a single stream may use all of it
   * (a Flate-compressed A4 colour scan at 300 dpi is about 26 MB raw). @default 32 MiB
   */
  maxInflatedBytes?: number;
  /**
   * What one object or cross-reference stream (the streams pdf-lib decodes while loading) may
   * inflate to. They hold only object text: a letter's are a few KB, so a bomb aimed at the
   * parser is refused early, by both the pre-scan and the parse. @default 4 MiB
   */
  maxObjectStreamBytes?: number;
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

let loadedSharp: typeof sharpModule | undefined;

/**
 * sharp, loaded on the first image rather than with the module: loading it (libvips and its
 * JavaScript) is 45–60 ms of the processor's cold start, which a PDF letter never needs.
 *
 * Its CommonJS build, by `require`: its ES module build imports semver and detect-libc through
 * Node's ES-module-to-CommonJS bridge, which made loading it ≈ 45 ms longer.
 *
 * libvips can load dozens of formats, several through large parsers (SVG via librsvg, TIFF,
 * HEIF, PDF, ImageMagick). Blocking every loader and unblocking only the three buffer loaders
 * letters need means a file that slipped past type detection still cannot reach those parsers.
 * This is process-wide: the processor is the only sharp user in its process.
 */
function sharp(...args: Parameters<typeof sharpModule>): ReturnType<typeof sharpModule> {
  if (loadedSharp === undefined) {
    const lib = createRequire(import.meta.url)('sharp') as typeof sharpModule;
    lib.block({ operation: ['VipsForeignLoad'] });
    lib.unblock({ operation: ['VipsForeignLoadJpegBuffer', 'VipsForeignLoadPngBuffer', 'VipsForeignLoadNsgifBuffer'] });
    // Each letter is decoded once: libvips' operation cache would only hold on to memory.
    lib.cache(false);
    lib.concurrency(1);
    loadedSharp = lib;
  }
  return loadedSharp(...args);
}

/**
 * A light-grey (#e5e5e5) A4-shaped page, 283 × 400, as WebP: PDFs are not rendered (that would
 * need a PDF renderer). Made once by sharp's `create`; kept as bytes so a PDF never loads sharp.
 */
const PDF_PLACEHOLDER_WEBP =
  'UklGRgIBAABXRUJQVlA4IPYAAABwGwCdASobAZABPm02mUmkIyKhICgAgA2JaW7hd2EbQAnsA99snIe+2TkPfbJyHvtk5D32ych77ZOQ99snIe+2TkPfbJyHvtk5D32ych77ZOQ99snIe+2TkPfbJyHvtk5D32ych77ZOQ99snIe+2TkPfbJyHvtk5D32ych77ZOQ99snIe+2TkPfbJyHvtk5D32ych77ZOQ99snIe+2TkPfbJyHvtk5D32ych77ZOQ99snIe+2TkPfbJyHvtk5D32ych77ZOQ99snIe+2TkPfbJyHvtk5D32ych77ZOQ99snIe+sAAA/v/eOgAAAAAAAAAAAAAAAAA=';

/**
 * Decides what an uploaded letter is from its bytes: size, type by magic bytes (file-type), then
 * a full, bounded decode — sharp for images (JPEG, PNG, GIF only), a byte-level pre-scan and a
 * bounded pdf-lib parse for PDFs. (The SHA-256 the evidence is recorded under is
 * the letter store's, taken during the download.)
 *
 * Codes: a format file-type recognises but letters do not use (HTML is not recognised; TIFF,
 * WebP, XML/SVG with a declaration, ZIP are) or one outside `allowed` → `LETTER_TYPE_NOT_ALLOWED`;
 * bytes no format matches, and everything that fails to decode, is truncated, has data after
 * its end or another format (ZIP, or PDF in an image) hidden inside, is too large in pixels,
 * frames or pages, is encrypted or active → `LETTER_UNREADABLE`.
 * `inspect` throws only for our own failures (the PDF worker could not start): retry, don't refuse.
 */
export class ContentLetterInspector implements LetterInspector {
  private readonly pdfTimeBudgetMs: number;
  private readonly pdfMainThreadSteps: number | undefined;
  private readonly maxPixels: number;
  private readonly maxGifFrames: number;
  private readonly maxProgressiveJpegBytes: number;
  private readonly imageTimeoutSeconds: number;
  private readonly maxPdfPages: number;
  private readonly maxInflatedBytes: number;
  private readonly maxObjectStreamBytes: number;

  constructor(options: ContentLetterInspectorOptions = {}) {
    this.pdfTimeBudgetMs = options.pdfTimeBudgetMs ?? 3000;
    this.pdfMainThreadSteps = options.pdfMainThreadSteps;
    this.maxPixels = options.maxPixels ?? 25_000_000;
    this.maxGifFrames = options.maxGifFrames ?? 50;
    this.maxProgressiveJpegBytes = options.maxProgressiveJpegBytes ?? 96 * 1024 * 1024;
    this.imageTimeoutSeconds = Math.max(1, Math.ceil((options.imageTimeBudgetMs ?? 3000) / 1000));
    this.maxPdfPages = options.maxPdfPages ?? 20;
    this.maxInflatedBytes = options.maxInflatedBytes ?? 32 * 1024 * 1024;
    this.maxObjectStreamBytes = Math.min(this.maxInflatedBytes, options.maxObjectStreamBytes ?? 4 * 1024 * 1024);
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
      bytes: bytes.length,
      ...decoded.facts,
    };
  }

  async thumbnail(bytes: Uint8Array, type: LetterType): Promise<Uint8Array> {
    // A fresh copy each time: the caller owns what it is given.
    if (type === 'pdf') return new Uint8Array(Buffer.from(PDF_PLACEHOLDER_WEBP, 'base64'));
    // `pages: 1`: the first frame of a GIF; autoOrient: phone scans carry an EXIF rotation.
    const webp = await sharp(bytes, { failOn: FAIL_ON, limitInputPixels: this.maxPixels, pages: 1, autoOrient: true })
      .resize({ width: THUMBNAIL_WIDTH, withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
    return new Uint8Array(webp.buffer, webp.byteOffset, webp.byteLength);
  }

  /**
   * The end-marker walk first (cheap, and it counts GIF frames without decoding), then sharp's
   * header for dimensions, then a full decode: one sequential pass over every pixel of every
   * frame under a time budget, keeping a single channel of the output. Not `stats()`: it reads
   * the image four times (a 25 MP CMYK JPEG took over 4 s) and so holds all of it in memory.
   */
  private async decodeImage(bytes: Uint8Array, type: Exclude<LetterType, 'pdf'>): Promise<Decoded> {
    const structure = STRUCTURE[type](bytes);
    if (!structure.ok) return structure;
    const hidden = hiddenFormat(bytes, type);
    if (hidden) return { ok: false, detail: `also holds ${hidden} (a polyglot file)` };
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
      if (meta.isProgressive && progressiveJpegBytes(width, height, meta.channels, meta.chromaSubsampling) > this.maxProgressiveJpegBytes) {
        return { ok: false, detail: `is a progressive JPEG too large to decode (${width}×${height})` };
      }
      await sharp(bytes, { ...options, sequentialRead: true }).timeout({ seconds: this.imageTimeoutSeconds }).extractChannel(0).raw().toBuffer();
      return { ok: true, facts: type === 'gif' ? { width, height, pages: frames } : { width, height } };
    } catch (error) {
      return { ok: false, detail: sharpFailure(error) };
    }
  }

  /**
   * The pre-scan and the polyglot check first (a few hundredths of a millisecond), then the
   * parse: here within a step limit, or in its worker for a file that needs more
   * (`checkPdf`).
   */
  private async decodePdf(bytes: Uint8Array): Promise<Decoded> {
    const scan = prescanPdf(bytes, { maxInflatedBytes: this.maxInflatedBytes, maxObjectStreamBytes: this.maxObjectStreamBytes });
    if (!scan.ok) return scan;
    const hidden = hiddenFormat(bytes, 'pdf');
    if (hidden) return { ok: false, detail: `also holds ${hidden} (a polyglot file)` };
    const parsed = await checkPdf(bytes, { maxPages: this.maxPdfPages, maxDecodedBytes: this.maxObjectStreamBytes, timeBudgetMs: this.pdfTimeBudgetMs, mainThreadSteps: this.pdfMainThreadSteps });
    if (!parsed.ok) return parsed;
    return { ok: true, facts: { pages: parsed.pages } };
  }
}

/**
 * Another format inside a valid letter, which a program other than the reviewer's viewer would
 * open: a ZIP archive (readers find its directory from the end of the file, so one sitting in an
 * image comment or a PDF stream near the end works), or a PDF inside an image (PDF readers look
 * for `%PDF-` past the first byte; such a PDF was never checked as one). The end-marker walks
 * only catch what is appended; these are hidden inside.
 */
function hiddenFormat(bytes: Uint8Array, type: LetterType): string | undefined {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type !== 'pdf' && buf.includes('%PDF-', 0, 'latin1')) return 'a PDF';
  return hasZipDirectory(buf) ? 'a ZIP archive' : undefined;
}

/**
 * An end-of-central-directory record where ZIP readers look for one (within the last 64 KiB
 * and 22 bytes), whose central directory starts where the record says: the four signature bytes
 * alone turn up by chance in compressed data, both together do not.
 */
function hasZipDirectory(buf: Buffer): boolean {
  const CENTRAL = 0x02014b50;
  const lowest = Math.max(0, buf.length - 22 - 0xffff);
  // A native backwards search (not a readUInt32LE at every offset) over the window alone: on the
  // whole file, a miss searched all 1.4 MiB (0.05 ms) for a record that may only be in the last 64 KiB.
  const window = buf.subarray(lowest);
  for (let from = window.length - 22; from >= 0; from--) {
    from = window.lastIndexOf(EOCD_SIGNATURE, from);
    if (from < 0) return false;
    const at = lowest + from;
    const directoryStart = at - buf.readUInt32LE(at + 12);
    if (directoryStart >= 0 && directoryStart + 4 <= at && buf.readUInt32LE(directoryStart) === CENTRAL) return true;
  }
  return false;
}

/** 0x06054b50, little-endian. */
const EOCD_SIGNATURE = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

type Decoded = { ok: true; facts: { pages?: number; width?: number; height?: number } } | { ok: false; detail: string };

function unreadable(detail: string): LetterVerdict {
  return { ok: false, code: 'LETTER_UNREADABLE', detail };
}

/**
 * What libjpeg keeps of a progressive JPEG while decoding it: 2 bytes for each sample of each
 * component, chroma counted at its subsampled size ("4:2:0" is a quarter of the pixels for each of
 * two chroma components; a fourth figure is the K or alpha component).
 */
function progressiveJpegBytes(width: number, height: number, channels = 3, subsampling?: string): number {
  const parts = subsampling?.split(':').map(Number) ?? [];
  const [, h, v] = parts;
  const chroma = h === undefined || v === undefined || Number.isNaN(h + v) ? 1 : (h / 4) * (v === 0 ? 0.5 : 1);
  const samples = channels < 3 ? channels : 1 + 2 * chroma + (channels > 3 ? (parts[3] ?? 4) / 4 : 0);
  return width * height * samples * 2;
}

/** libvips' first line, e.g. "Input image exceeds pixel limit" — short, and never a path or stack. */
function sharpFailure(error: unknown): string {
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
  if (/pixel limit/i.test(message)) return 'has too many pixels';
  if (/^timeout/i.test(message)) return 'took too long to decode';
  if (/unsupported image format/i.test(message)) return 'is in a format that is not decoded here';
  const reason = message.replace(/^\w+:\s*/, '').trim().slice(0, 120);
  return reason ? `could not be decoded (${reason})` : 'could not be decoded';
}

