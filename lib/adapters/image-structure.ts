import { crc32 } from 'node:zlib';

/**
 * Where a JPEG, PNG or GIF really ends, found by walking its segments, chunks or blocks. sharp
 * decodes what it needs and ignores the rest, so these walks are what catch a truncated GIF (its
 * decoder accepts one) and a polyglot: another file appended after the image's end marker, or
 * hidden behind it. The file must end exactly where the image does.
 */
export type ImageStructure = { ok: true; frames: number } | { ok: false; detail: string };

const TRAILING = 'has data after the end of the image';

function fail(detail: string): ImageStructure {
  return { ok: false, detail };
}

/**
 * JPEG: SOI, then length-prefixed segments; after each SOS the entropy-coded data runs to the next
 * marker that is neither a stuffed 0xFF00 nor a restart marker. The first EOI at this level is the
 * end (an EXIF thumbnail's own SOI…EOI sits inside an APP1 segment and is skipped with it). No
 * bytes, not even zero padding, may follow.
 */
export function checkJpegStructure(b: Uint8Array): ImageStructure {
  const n = b.length;
  if (n < 4 || b[0] !== 0xff || b[1] !== 0xd8) return fail('is not a JPEG');
  let i = 2;
  for (;;) {
    if (i >= n) return fail('is truncated (no end-of-image marker)');
    if (b[i] !== 0xff) return fail('has a corrupt segment');
    while (i < n && b[i] === 0xff) i++; // fill bytes before a marker
    if (i >= n) return fail('is truncated (no end-of-image marker)');
    const marker = b[i++] as number;
    if (marker === 0xd9) break;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // markers without a length
    if (marker === 0xd8 || marker === 0x00) return fail('has a corrupt segment');
    if (i + 2 > n) return fail('is truncated');
    const length = ((b[i] as number) << 8) | (b[i + 1] as number);
    if (length < 2 || i + length > n) return fail('is truncated');
    i += length;
    if (marker === 0xda) i = endOfEntropyData(b, i);
  }
  return i === n ? { ok: true, frames: 1 } : fail(TRAILING);
}

/** The offset of the first real marker after entropy-coded data (or the end of the file). */
function endOfEntropyData(b: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    i = b.indexOf(0xff, i);
    if (i === -1 || i + 1 >= b.length) return b.length;
    const next = b[i + 1] as number;
    if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) i += 2;
    else if (next === 0xff) i += 1;
    else return i;
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR = 0x49484452;
const IEND = 0x49454e44;
const ACTL = 0x6163544c;

/**
 * PNG: the signature, IHDR first, chunks whose CRCs verify, IEND last and nothing after it (IEND
 * with its CRC is the bytes `49 45 4E 44 AE 42 60 82`). An `acTL` chunk would make it an animated
 * PNG, which is not a letter format.
 */
export function checkPngStructure(b: Uint8Array): ImageStructure {
  const n = b.length;
  if (n < 8 || PNG_SIGNATURE.some((v, k) => b[k] !== v)) return fail('is not a PNG');
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 8;
  let first = true;
  for (;;) {
    if (i + 12 > n) return fail('is truncated (no IEND chunk)');
    const length = view.getUint32(i);
    const type = view.getUint32(i + 4);
    if (length > 0x7fffffff || i + 12 + length > n) return fail('is truncated');
    if (first && type !== IHDR) return fail('does not start with IHDR');
    first = false;
    if (type === ACTL) return fail('is an animated PNG');
    const crc = view.getUint32(i + 8 + length);
    if (crc32(b.subarray(i + 4, i + 8 + length)) !== crc) return fail('has a corrupt chunk (CRC mismatch)');
    i += 12 + length;
    if (type === IEND) break;
  }
  return i === n ? { ok: true, frames: 1 } : fail(TRAILING);
}

/**
 * GIF: header, logical screen descriptor, optional global colour table, then extension and
 * image blocks (each a run of length-prefixed sub-blocks) until the trailer byte 0x3B, which
 * must be the last byte. Counts the frames on the way, before anything is decoded.
 */
export function checkGifStructure(b: Uint8Array): ImageStructure {
  const n = b.length;
  const signature = String.fromCharCode(...b.subarray(0, 6));
  if (signature !== 'GIF87a' && signature !== 'GIF89a') return fail('is not a GIF');
  if (n < 13) return fail('is truncated');
  let i = 13;
  const screenFlags = b[10] as number;
  if (screenFlags & 0x80) i += 3 * (1 << ((screenFlags & 0x07) + 1));
  let frames = 0;
  for (;;) {
    if (i >= n) return fail('is truncated (no trailer)');
    const block = b[i] as number;
    if (block === 0x3b) {
      i += 1;
      break;
    }
    if (block === 0x21) {
      i = skipSubBlocks(b, i + 2);
    } else if (block === 0x2c) {
      if (i + 10 > n) return fail('is truncated');
      const imageFlags = b[i + 9] as number;
      i += 10;
      if (imageFlags & 0x80) i += 3 * (1 << ((imageFlags & 0x07) + 1));
      i = skipSubBlocks(b, i + 1); // after the LZW minimum code size
      frames++;
    } else {
      return fail('has a corrupt block');
    }
    if (i < 0) return fail('is truncated (no trailer)');
  }
  if (frames === 0) return fail('has no image');
  return i === n ? { ok: true, frames } : fail(TRAILING);
}

/** Skips sub-blocks up to and including the zero-length terminator; -1 when the file ends first. */
function skipSubBlocks(b: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    if (i >= b.length) return -1;
    const size = b[i] as number;
    i += 1 + size;
    if (size === 0) return i;
  }
}
