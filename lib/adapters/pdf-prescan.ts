import { Buffer } from 'node:buffer';
import { constants, inflateSync } from 'node:zlib';

/**
 * A byte-level look at a PDF before any parser touches it. pdf-lib decodes object streams inside
 * `load` without any output limit (a few KB of chained Flate becomes gigabytes), and a reviewer's
 * viewer decodes every other stream; so every Flate stream is inflated here under a total cap,
 * and the names that make a PDF active or unreadable are looked for in the object text and in the
 * decoded object streams, where a compressed catalog hides them from a raw search.
 */
export type PdfPrescan = { ok: true } | { ok: false; detail: string };

export interface PdfPrescanLimits {
  /** Total bytes all streams together may inflate to; one stream may use all of it. */
  maxInflatedBytes: number;
}

/** Names whose presence rejects the file, with the reason given to the customer. */
const FORBIDDEN_NAMES: ReadonlyMap<string, string> = new Map([
  ['Encrypt', 'is encrypted'],
  ['JavaScript', 'contains JavaScript'],
  ['JS', 'contains JavaScript'],
  ['Launch', 'contains a launch action'],
  ['EmbeddedFiles', 'contains embedded files'],
  ['EmbeddedFile', 'contains embedded files'],
  ['XFA', 'contains an XFA form'],
  ['AA', 'contains automatic actions (/AA)'],
  ['RichMedia', 'contains rich media'],
  ['SubmitForm', 'contains a form submission action'],
  ['ImportData', 'contains a form import action'],
  ['GoToE', 'contains an action into an embedded file'],
]);

const PDF_WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
/** A name: `/` then regular characters; `#xx` escapes are decoded before comparing. */
const NAME = /\/([^\s/[\]<>(){}%]*)/g;
const OBJ_HEADER = /\d+\s+\d+\s+obj\b/g;

export function prescanPdf(bytes: Uint8Array, limits: PdfPrescanLimits): PdfPrescan {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength); // a view, no copy
  if (buf.toString('latin1', 0, 5) !== '%PDF-') return { ok: false, detail: 'does not start with a PDF header' };
  let end = buf.length;
  while (end > 0 && PDF_WHITESPACE.has(buf[end - 1] as number)) end--;
  if (buf.toString('latin1', Math.max(0, end - 5), end) !== '%%EOF') return { ok: false, detail: 'is truncated (no %%EOF at the end)' };

  const found = new Set<string>();
  let inflatedTotal = 0;
  let pos = 0;
  for (;;) {
    const stream = nextStreamKeyword(buf, pos);
    const text = buf.toString('latin1', pos, stream === -1 ? buf.length : stream);
    collectNames(text, found);
    if (stream === -1) break;

    const dict = streamDictionary(text);
    let dataStart = stream + 'stream'.length;
    if (buf[dataStart] === 0x0d) dataStart++;
    if (buf[dataStart] === 0x0a) dataStart++;
    const dataEnd = streamEnd(buf, dataStart, dict.length);
    if (dataEnd === -1) return { ok: false, detail: 'is truncated (a stream has no endstream)' };

    const decoded = decodeStream(buf.subarray(dataStart, dataEnd), dict, limits.maxInflatedBytes - inflatedTotal);
    if (!decoded.ok) return decoded;
    inflatedTotal += decoded.inflatedBytes;
    if (dict.objectStream && decoded.data) collectNames(decoded.data.toString('latin1'), found);
    pos = buf.indexOf('endstream', dataEnd, 'latin1') + 'endstream'.length;
  }
  return verdictFromNames(found);
}

/** The next `stream` keyword that opens stream data: right after a dictionary's `>>`. */
function nextStreamKeyword(buf: Buffer, from: number): number {
  let i = from;
  for (;;) {
    i = buf.indexOf('stream', i, 'latin1');
    if (i === -1) return -1;
    let k = i - 1;
    while (k >= from && PDF_WHITESPACE.has(buf[k] as number)) k--;
    const after = buf[i + 6];
    if (k >= from + 1 && buf[k] === 0x3e && buf[k - 1] === 0x3e && (after === 0x0d || after === 0x0a)) return i;
    i += 6;
  }
}

interface StreamDictionary {
  /** A direct `/Length`; an indirect one is not resolved (the `endstream` search is used). */
  length: number | undefined;
  filters: string[];
  objectStream: boolean;
}

/** The stream's dictionary: the text after the last `n g obj` before the `stream` keyword. */
function streamDictionary(text: string): StreamDictionary {
  let start = Math.max(0, text.length - 4096);
  for (const match of text.matchAll(OBJ_HEADER)) start = match.index + match[0].length;
  const dict = decodeNames(text.slice(start));
  const length = /\/Length\s+(\d+)(\s+\d+\s+R\b)?/.exec(dict);
  const filter = /\/Filter\s*(\[[^\]]*\]|\/[^\s/[\]<>(){}%]+)/.exec(dict);
  return {
    length: length && !length[2] ? Number(length[1]) : undefined,
    filters: filter ? [...(filter[1] as string).matchAll(NAME)].map((m) => m[1] as string) : [],
    objectStream: /\/Type\s*\/ObjStm\b/.test(dict),
  };
}

/**
 * Where the stream's data ends: after `/Length` bytes when `endstream` follows there, otherwise
 * at the next `endstream` — the same fallback pdf-lib uses, so both see the same data.
 */
function streamEnd(buf: Buffer, start: number, length: number | undefined): number {
  if (length !== undefined && start + length <= buf.length) {
    let k = start + length;
    while (k < buf.length && PDF_WHITESPACE.has(buf[k] as number)) k++;
    if (buf.toString('latin1', k, k + 9) === 'endstream') return start + length;
  }
  return buf.indexOf('endstream', start, 'latin1');
}

type Decoded = { ok: true; inflatedBytes: number; data: Buffer | undefined } | { ok: false; detail: string };

/**
 * Applies the leading Flate filters, each under what is left of the total cap. A Flate after
 * another filter cannot be bounded without decoding that filter, and LZW expands a
 * thousandfold: letters from scanners use neither, so both are refused. Object streams (which
 * pdf-lib decodes itself) may only be Flate-compressed.
 */
function decodeStream(raw: Buffer, dict: StreamDictionary, budget: number): Decoded {
  let data: Buffer | undefined = raw;
  let inflatedBytes = 0;
  let flateOnly = true;
  for (const filter of dict.filters) {
    if (filter === 'LZWDecode' || filter === 'LZW') return { ok: false, detail: 'uses LZW compression, which is not accepted' };
    if (filter !== 'FlateDecode' && filter !== 'Fl') {
      if (dict.objectStream) return { ok: false, detail: `has an object stream with an unsupported filter (${filter})` };
      flateOnly = false;
      data = undefined;
      continue;
    }
    if (!flateOnly) return { ok: false, detail: 'has a stream with an unsupported filter chain' };
    try {
      // Z_SYNC_FLUSH tolerates a stream missing its final block, as viewers do; corrupt data still throws.
      data = inflateSync(data as Buffer, { maxOutputLength: Math.max(1, budget - inflatedBytes), finishFlush: constants.Z_SYNC_FLUSH });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        return { ok: false, detail: 'decompresses to too much data (a compression bomb)' };
      }
      return { ok: false, detail: 'has a corrupt compressed stream' };
    }
    inflatedBytes += data.length;
  }
  return { ok: true, inflatedBytes, data: dict.objectStream ? data : undefined };
}

function collectNames(text: string, found: Set<string>): void {
  for (const match of text.matchAll(NAME)) {
    const name = decodeName(match[1] as string);
    if (FORBIDDEN_NAMES.has(name) || name === 'OpenAction') found.add(name);
  }
}

function decodeNames(text: string): string {
  return text.replace(NAME, (_, name: string) => `/${decodeName(name)}`);
}

/** `#xx` escapes in a name (PDF 1.2+): `/J#53` is `/JS`. */
function decodeName(name: string): string {
  return name.includes('#') ? name.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : name;
}

function verdictFromNames(found: Set<string>): PdfPrescan {
  const javascript = found.has('JavaScript') || found.has('JS');
  if (found.has('Encrypt')) return { ok: false, detail: 'is encrypted' };
  // An /OpenAction alone (open at page 1, fit width) is common; one that runs a script is not.
  if (javascript && found.has('OpenAction')) return { ok: false, detail: 'runs JavaScript when opened (/OpenAction)' };
  for (const [name, reason] of FORBIDDEN_NAMES) if (found.has(name)) return { ok: false, detail: reason };
  return { ok: true };
}
