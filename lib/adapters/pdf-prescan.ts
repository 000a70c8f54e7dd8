import { Buffer } from 'node:buffer';
import { constants, inflateSync } from 'node:zlib';

/**
 * A byte-level look at a PDF before any parser touches it. pdf-lib decodes object streams inside
 * `load` without any output limit (a few KB of chained Flate becomes gigabytes), and a reviewer's
 * viewer decodes every other stream; so every Flate stream is inflated here under a total cap,
 * and the names that make a PDF active or unreadable are looked for in the object text and in the
 * decoded object streams, where a compressed catalog hides them from a raw search. Streams are
 * found and delimited by pdf-lib's own rules, or an object stream it reads could go unread here;
 * the PDF worker checks the same names again in the objects pdf-lib actually parsed.
 */
export type PdfPrescan = { ok: true } | { ok: false; detail: string };

export interface PdfPrescanLimits {
  /** Total bytes all streams together may inflate to; one stream may use all of it. */
  maxInflatedBytes: number;
  /** What one object or cross-reference stream may inflate to (the ones the parser decodes). */
  maxObjectStreamBytes: number;
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
/**
 * `n g obj`. The look-behind keeps a match from starting inside a run of digits: without it a
 * long number (a few hundred KB of "9") makes the search quadratic and stalls the main thread.
 */
const OBJ_HEADER = /(?<!\d)\d+\s+\d+\s+obj\b/g;

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
    if (!dict.ok) return dict;
    const dataStart = stream + streamKeywordLength(buf, stream);
    const dataEnd = streamEnd(buf, dataStart, dict.length);
    if (dataEnd === -1) return { ok: false, detail: 'is truncated (a stream has no endstream)' };

    const budget = limits.maxInflatedBytes - inflatedTotal;
    const decoded = decodeStream(buf.subarray(dataStart, dataEnd), dict, dict.parsed ? Math.min(budget, limits.maxObjectStreamBytes) : budget);
    if (!decoded.ok) return decoded;
    inflatedTotal += decoded.inflatedBytes;
    if (dict.objectStream && decoded.data) collectNames(decoded.data.toString('latin1'), found);
    pos = buf.indexOf('endstream', dataEnd, 'latin1') + 'endstream'.length;
  }
  return activeContentVerdict(found);
}

/**
 * The next `stream` keyword that opens stream data, as pdf-lib finds one: after a dictionary's
 * `>>` and any whitespace and comments, followed by anything at all (no end of line needed).
 * Seeing fewer streams than the parser would let an object stream's content go unread here.
 */
function nextStreamKeyword(buf: Buffer, from: number): number {
  let i = from;
  for (;;) {
    i = buf.indexOf('stream', i, 'latin1');
    if (i === -1) return -1;
    if (followsDictionary(buf, i, from)) return i;
    i += 6;
  }
}

/** Whether only whitespace and comments stand between a `>>` and offset `at`. */
function followsDictionary(buf: Buffer, at: number, from: number): boolean {
  let k = at - 1;
  // Once a line end has been passed, what comes before it may be a comment: each `%` on that
  // line, from the last to the first, could be the one that starts it. k only moves back.
  let afterLineEnd = false;
  for (;;) {
    while (k >= from && PDF_WHITESPACE.has(buf[k] as number)) {
      if (buf[k] === 0x0a || buf[k] === 0x0d) afterLineEnd = true;
      k--;
    }
    if (k >= from + 1 && buf[k] === 0x3e && buf[k - 1] === 0x3e) return true;
    if (!afterLineEnd) return false;
    while (k >= from && buf[k] !== 0x25 && buf[k] !== 0x0a && buf[k] !== 0x0d) k--;
    if (k < from || buf[k] !== 0x25) return false;
    k--;
  }
}

/** `stream` and the end of line after it, by pdf-lib's rule: space CR LF, CR LF, CR, LF or none. */
function streamKeywordLength(buf: Buffer, at: number): number {
  const eol = buf.toString('latin1', at + 6, at + 9);
  if (eol === ' \r\n') return 9;
  if (eol.startsWith('\r\n')) return 8;
  return eol.startsWith('\r') || eol.startsWith('\n') ? 7 : 6;
}

type StreamDictionary =
  | {
      ok: true;
      /** A direct `/Length`; an indirect one is not resolved (the `endstream` search is used). */
      length: number | undefined;
      filters: string[];
      objectStream: boolean;
      /** An object or cross-reference stream: one pdf-lib decodes while loading. */
      parsed: boolean;
    }
  | { ok: false; detail: string };

/**
 * The stream's dictionary: the text after the last `n g obj` before the `stream` keyword, read
 * as PDF tokens so that only its own top-level entries count — not a `/Length` or `/Filter` in a
 * nested dictionary, a string or a comment. pdf-lib resolves an indirect `/Filter` or `/Type`;
 * this scan does not, and no letter needs one, so the file is refused instead.
 */
function streamDictionary(text: string): StreamDictionary {
  let start = -1;
  for (const match of text.matchAll(OBJ_HEADER)) start = match.index + match[0].length;
  const entries = start === -1 ? undefined : topLevelEntries(text, start);
  if (!entries) return { ok: false, detail: 'has a malformed stream dictionary' };

  const length = entries.get('Length');
  const filter = entries.get('Filter');
  const type = entries.get('Type');
  if (isReference(filter) || isReference(type) || (filter?.startsWith('[') && !/^\[(\s*\/[^\s/[\]<>(){}%]*)*\s*\]$/.test(filter))) {
    return { ok: false, detail: 'has a stream whose filter or type is not a plain name' };
  }
  const typeName = type?.startsWith('/') ? decodeName(type.slice(1)) : undefined;
  return {
    ok: true,
    length: length && /^\d+$/.test(length) ? Number(length) : undefined,
    filters: filter ? [...filter.matchAll(NAME)].map((m) => decodeName(m[1] as string)) : [],
    objectStream: typeName === 'ObjStm',
    parsed: typeName === 'ObjStm' || typeName === 'XRef',
  };
}

const isReference = (value: string | undefined): boolean => value !== undefined && /^\d+\s+\d+\s+R$/.test(value);

const DELIMITERS = '()<>[]{}/%';
const isSpace = (c: string | undefined): boolean => c !== undefined && PDF_WHITESPACE.has(c.charCodeAt(0));
const isRegular = (c: string | undefined): boolean => c !== undefined && !isSpace(c) && !DELIMITERS.includes(c);

/** Past whitespace and comments. */
function skipSpace(s: string, from: number): number {
  let i = from;
  for (;;) {
    while (isSpace(s[i])) i++;
    if (s[i] !== '%') return i;
    while (i < s.length && s[i] !== '\n' && s[i] !== '\r') i++;
  }
}

/**
 * The top-level entries of the dictionary at `from` (each value as its source text, #-escapes of
 * keys decoded), or undefined unless exactly one dictionary, then only whitespace and comments,
 * fill the text to its end.
 */
function topLevelEntries(s: string, from: number): Map<string, string> | undefined {
  let i = skipSpace(s, from);
  if (!s.startsWith('<<', i)) return undefined;
  i += 2;
  const entries = new Map<string, string>();
  for (;;) {
    i = skipSpace(s, i);
    if (s.startsWith('>>', i)) break;
    if (s[i] !== '/') return undefined;
    const keyStart = ++i;
    while (isRegular(s[i])) i++;
    const key = decodeName(s.slice(keyStart, i));
    const valueStart = skipSpace(s, i);
    i = skipValue(s, valueStart);
    if (i === -1) return undefined;
    // `n g R` is three tokens and one value.
    const ref = /^\s+\d+\s+R(?![^\s()<>[\]{}/%])/.exec(s.slice(i, i + 32));
    if (/^\d+$/.test(s.slice(valueStart, i)) && ref) i += ref[0].length;
    entries.set(key, s.slice(valueStart, i));
  }
  return skipSpace(s, i + 2) === s.length ? entries : undefined;
}

/**
 * Past one value: a name, a string, a hex string, a number or keyword, or an array or dictionary
 * (nesting is counted, not recursed into, so a deep one cannot exhaust the stack). -1 if malformed.
 */
function skipValue(s: string, from: number): number {
  let i = from;
  let depth = 0;
  do {
    i = skipSpace(s, i);
    const c = s[i];
    if (c === undefined) return -1;
    if (s.startsWith('<<', i)) {
      depth++;
      i += 2;
    } else if (s.startsWith('>>', i) || c === ']') {
      if (depth === 0) return -1;
      depth--;
      i += c === ']' ? 1 : 2;
    } else if (c === '[') {
      depth++;
      i++;
    } else if (c === '(') {
      i = skipString(s, i);
    } else if (c === '<') {
      const close = s.indexOf('>', i);
      i = close === -1 ? -1 : close + 1;
    } else if (c === '/') {
      i++;
      while (isRegular(s[i])) i++;
    } else if (isRegular(c)) {
      while (isRegular(s[i])) i++;
    } else {
      return -1;
    }
    if (i === -1) return -1;
  } while (depth > 0);
  return i;
}

/** Past a literal string: parentheses nest, a backslash escapes the next character. */
function skipString(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * Where the stream's data ends, as pdf-lib decides: after `/Length` bytes when `endstream`
 * follows there (after whitespace and comments), otherwise at the `endstream` that closes it,
 * counting `stream` keywords in between as nested — so both always see the same data.
 */
function streamEnd(buf: Buffer, start: number, length: number | undefined): number {
  if (length !== undefined && start + length <= buf.length) {
    let k = start + length;
    for (;;) {
      while (k < buf.length && PDF_WHITESPACE.has(buf[k] as number)) k++;
      if (buf[k] !== 0x25) break;
      while (k < buf.length && buf[k] !== 0x0a && buf[k] !== 0x0d) k++;
    }
    if (buf.toString('latin1', k, k + 9) === 'endstream') return start + length;
  }
  // Both searches only move forward, so a file of many `stream` words stays linear.
  let depth = 1;
  let close = buf.indexOf('endstream', start, 'latin1');
  let open = buf.indexOf('stream', start, 'latin1');
  while (close !== -1) {
    if (open !== -1 && open < close) {
      depth++;
      open = buf.indexOf('stream', open + 6, 'latin1');
      continue;
    }
    if (--depth === 0) return close;
    const next = close + 'endstream'.length;
    close = buf.indexOf('endstream', next, 'latin1');
    if (open !== -1 && open < next) open = buf.indexOf('stream', next, 'latin1');
  }
  return -1;
}

type Decoded = { ok: true; inflatedBytes: number; data: Buffer | undefined } | { ok: false; detail: string };

/**
 * Applies the leading Flate filters, each under what is left of the total cap. A Flate after
 * another filter cannot be bounded without decoding that filter, and LZW expands a
 * thousandfold: letters from scanners use neither, so both are refused. Object streams (which
 * pdf-lib decodes itself) may only be Flate-compressed.
 */
function decodeStream(raw: Buffer, dict: Extract<StreamDictionary, { ok: true }>, budget: number): Decoded {
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
  for (const match of text.matchAll(NAME)) noteName(decodeName(match[1] as string), found);
}

/** Records `name` (already #-decoded) if it is one the verdict looks at. */
export function noteName(name: string, found: Set<string>): void {
  if (FORBIDDEN_NAMES.has(name) || name === 'OpenAction') found.add(name);
}

/** `#xx` escapes in a name (PDF 1.2+): `/J#53` is `/JS`. */
export function decodeName(name: string): string {
  return name.includes('#') ? name.replace(/#([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : name;
}

/** The verdict from the names found; the PDF worker gives it too, for the objects pdf-lib parsed. */
export function activeContentVerdict(found: Set<string>): PdfPrescan {
  const javascript = found.has('JavaScript') || found.has('JS');
  if (found.has('Encrypt')) return { ok: false, detail: 'is encrypted' };
  // An /OpenAction alone (open at page 1, fit width) is common; one that runs a script is not.
  if (javascript && found.has('OpenAction')) return { ok: false, detail: 'runs JavaScript when opened (/OpenAction)' };
  for (const [name, reason] of FORBIDDEN_NAMES) if (found.has(name)) return { ok: false, detail: reason };
  return { ok: true };
}
