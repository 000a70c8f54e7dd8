import { Buffer } from 'node:buffer';
import { deflateSync } from 'node:zlib';
import { HELVETICA_BOLD_METRICS, HELVETICA_METRICS, type StandardFontMetrics } from './standard-font-metrics.js';

/**
 * A minimal PDF writer: text in the standard fonts (built into every viewer, so nothing is
 * embedded), lines, rectangles and ellipses, in shades of grey. It writes one body of numbered
 * objects, a classic cross-reference table and a trailer: no object streams, no incremental
 * updates, no file identifier, so the same calls always give the same bytes.
 */

/** WinAnsiEncoding (cp1252) codes 0x80–0x9F, U+0000 where a code is unused; the rest of 0x20–0xFF is Latin-1. */
const WIN_ANSI_HIGH = '€\u0000‚ƒ„…†‡ˆ‰Š‹Œ\u0000Ž\u0000\u0000‘’“”•–—˜™š›œ\u0000žŸ';

/** Unicode code point → WinAnsi code, for the 218 characters WinAnsiEncoding has. */
const WIN_ANSI = new Map<number, number>();
for (let code = 0x20; code <= 0xff; code++) {
  const char = code >= 0x80 && code <= 0x9f ? (WIN_ANSI_HIGH[code - 0x80] as string) : String.fromCharCode(code);
  // DEL (0x7F) and the unused codes show nothing.
  if (code !== 0x7f && char !== '\u0000') WIN_ANSI.set(char.charCodeAt(0), code);
}

/** The code points text in a standard font may contain. */
export const WIN_ANSI_CODE_POINTS: ReadonlySet<number> = new Set(WIN_ANSI.keys());

/** The WinAnsi code of one character (a code point); throws for a character WinAnsi does not have. */
function winAnsiCode(char: string): number {
  const codePoint = char.codePointAt(0) ?? 0;
  const code = WIN_ANSI.get(codePoint);
  if (code === undefined) throw new RangeError(`WinAnsi cannot encode "${char}" (U+${codePoint.toString(16).toUpperCase().padStart(4, '0')})`);
  return code;
}

/** Text in the WinAnsi codes a standard font shows; throws for a character it cannot encode. */
export function encodeWinAnsi(text: string): Uint8Array {
  return Uint8Array.from(text, winAnsiCode);
}

/** One of the standard 14 fonts, with the metrics to measure text in it. */
export class StandardFont {
  readonly name: string;
  private readonly widths: readonly number[];
  /** Kerning amount by pair of codes, `left << 8 | right`. */
  private readonly kerning = new Map<number, number>();

  constructor(metrics: StandardFontMetrics) {
    this.name = metrics.name;
    this.widths = metrics.widths;
    // Index loops (the characters are all in the BMP): this runs at cold start, where encoding
    // each string to an array took about 10 ms for the two fonts, and this takes about 1.
    for (const [lefts, amount, rights] of metrics.kerning) {
      for (let i = 0; i < lefts.length; i++) {
        const left = winAnsiCode(lefts.charAt(i)) << 8;
        for (let j = 0; j < rights.length; j++) this.kerning.set(left | winAnsiCode(rights.charAt(j)), amount);
      }
    }
  }

  /**
   * The width of `text` at `size`, kerning included, as pdf-lib measures it: the letter's layout
   * was made with pdf-lib's figures. Text is drawn without kerning (as pdf-lib draws it), so a
   * line with kerned pairs shows a little wider than measured (mostly negative amounts of a few
   * hundredths of an em).
   */
  widthOfTextAtSize(text: string, size: number): number {
    let total = 0;
    let previous = -1;
    for (const char of text) {
      const code = winAnsiCode(char);
      total += (this.widths[code - 32] ?? 0) + (previous === -1 ? 0 : (this.kerning.get((previous << 8) | code) ?? 0));
      previous = code;
    }
    // The sum is of integers, so exact in any order; the scaling is pdf-lib's, to the last bit,
    // so that a line at the limit wraps where it did.
    return total * (size / 1000);
  }
}

export const HELVETICA = new StandardFont(HELVETICA_METRICS);
export const HELVETICA_BOLD = new StandardFont(HELVETICA_BOLD_METRICS);

/** DeviceGray: 0 is black, 1 white. */
export type Grey = number;

export interface StrokeStyle {
  stroke: Grey;
  lineWidth: number;
  /** Dash and gap lengths; solid when absent. */
  dash?: readonly number[];
}

/** A shape is filled, stroked, or both. */
export type ShapeStyle = { fill: Grey } | StrokeStyle | ({ fill: Grey } & StrokeStyle);

/**
 * A number as PDF writes it: at most three decimals (a thousandth of a point is far below what
 * a printer resolves), no exponent, no trailing zeros.
 */
export function pdfNumber(n: number): string {
  // toFixed writes an exponent from 1e21 on: no page is anywhere near that.
  if (!Number.isFinite(n) || Math.abs(n) >= 1e21) throw new RangeError(`not a PDF number: ${n}`);
  const fixed = n.toFixed(3).replace(/\.?0+$/, '');
  return fixed === '-0' ? '0' : fixed;
}

const nums = (...values: number[]): string => values.map(pdfNumber).join(' ');

/**
 * A literal string of WinAnsi codes. `\`, `(` and `)` are escaped, and every byte outside
 * printable ASCII is written as an octal escape, so content streams are plain ASCII whatever
 * the text.
 */
export function pdfString(codes: Uint8Array): string {
  let out = '(';
  for (const code of codes) {
    if (code === 0x5c || code === 0x28 || code === 0x29) out += `\\${String.fromCharCode(code)}`;
    else if (code >= 0x20 && code <= 0x7e) out += String.fromCharCode(code);
    else out += `\\${code.toString(8).padStart(3, '0')}`;
  }
  return `${out})`;
}

/**
 * A text string outside content streams (document information): literal when printable ASCII,
 * otherwise UTF-16BE with a byte-order mark, the only encoding that covers any text.
 */
function pdfTextString(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return pdfString(Uint8Array.from(text, (c) => c.charCodeAt(0)));
  return `<FEFF${Buffer.from(text, 'utf16le').swap16().toString('hex').toUpperCase()}>`;
}

/** `D:YYYYMMDDHHmmSSZ`, in UTC. */
function pdfDate(date: Date): string {
  return `(D:${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z)`;
}

/** Bézier control-point distance for a quarter ellipse, as a fraction of its radius. */
const KAPPA = (4 * (Math.SQRT2 - 1)) / 3;

/** One page's content stream, drawn in call order; each operation keeps its graphics state to itself (q … Q). */
export class PdfWriterPage {
  private readonly ops: string[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
    /** The resource name of a font, registered with the document on first use. */
    private readonly fontKey: (font: StandardFont) => string,
  ) {}

  /** `text` with its baseline starting at (x, y). */
  text(text: string, x: number, y: number, font: StandardFont, size: number, fill: Grey = 0): void {
    this.ops.push(`q BT /${this.fontKey(font)} ${nums(size)} Tf ${nums(fill)} g 1 0 0 1 ${nums(x, y)} Tm ${pdfString(encodeWinAnsi(text))} Tj ET Q`);
  }

  line(x1: number, y1: number, x2: number, y2: number, style: StrokeStyle): void {
    this.ops.push(`q ${this.style(style)}${nums(x1, y1)} m ${nums(x2, y2)} l S Q`);
  }

  rectangle(x: number, y: number, width: number, height: number, style: ShapeStyle): void {
    this.ops.push(`q ${this.style(style)}${nums(x, y, width, height)} re ${paint(style)} Q`);
  }

  /** An ellipse centred on (cx, cy): four Bézier curves, counter-clockwise from its leftmost point. */
  ellipse(cx: number, cy: number, rx: number, ry: number, style: ShapeStyle): void {
    const [ox, oy] = [rx * KAPPA, ry * KAPPA];
    const [left, right, bottom, top] = [cx - rx, cx + rx, cy - ry, cy + ry];
    const curves = [
      [left, cy - oy, cx - ox, bottom, cx, bottom],
      [cx + ox, bottom, right, cy - oy, right, cy],
      [right, cy + oy, cx + ox, top, cx, top],
      [cx - ox, top, left, cy + oy, left, cy],
    ];
    this.ops.push(`q ${this.style(style)}${nums(left, cy)} m ${curves.map((c) => `${nums(...c)} c`).join(' ')} ${paint(style)} Q`);
  }

  /** The uncompressed content stream. */
  content(): string {
    return this.ops.join('\n');
  }

  private style(style: ShapeStyle): string {
    let s = '';
    if ('fill' in style) s += `${nums(style.fill)} g `;
    if ('stroke' in style) {
      s += `${nums(style.stroke)} G ${nums(style.lineWidth)} w `;
      if (style.dash !== undefined && style.dash.length > 0) s += `[${nums(...style.dash)}] 0 d `;
    }
    return s;
  }
}

/** Fill and stroke (B), fill (f) or stroke (S). */
function paint(style: ShapeStyle): string {
  if ('stroke' in style) return 'fill' in style ? 'B' : 'S';
  return 'f';
}

export interface PdfInfo {
  title?: string;
  subject?: string;
  producer?: string;
  creator?: string;
  creationDate?: Date;
  modificationDate?: Date;
  /** The document's natural language (BCP 47), for screen readers. */
  language?: string;
}

/** A document of pages, written out by `save`. */
export class PdfWriter {
  private readonly pages: PdfWriterPage[] = [];
  private readonly fonts = new Map<StandardFont, string>();

  constructor(private readonly info: PdfInfo = {}) {}

  addPage(width: number, height: number): PdfWriterPage {
    const page = new PdfWriterPage(width, height, (font) => this.fontKey(font));
    this.pages.push(page);
    return page;
  }

  /**
   * The file: the objects in the order catalog, page tree, information, fonts, then each page
   * and its Flate-compressed content, and an xref table of their byte offsets.
   */
  save(): Uint8Array {
    const { info } = this;
    const fonts = [...this.fonts];
    // Object numbers follow the order of `objects` below.
    const [catalog, pageTree, infoRef] = [1, 2, 3];
    const fontRef = (i: number): number => 4 + i;
    const pageRef = (i: number): number => 4 + fonts.length + 2 * i;
    const fontResources = fonts.map(([, key], i) => `/${key} ${fontRef(i)} 0 R`).join(' ');

    const objects: (string | Buffer)[][] = [
      [`<< /Type /Catalog /Pages ${pageTree} 0 R${info.language === undefined ? '' : ` /Lang ${pdfTextString(info.language)}`} >>`],
      [`<< /Type /Pages /Kids [${this.pages.map((_, i) => `${pageRef(i)} 0 R`).join(' ')}] /Count ${this.pages.length} >>`],
      [infoDictionary(info)],
      ...fonts.map(([font]) => [`<< /Type /Font /Subtype /Type1 /BaseFont /${font.name} /Encoding /WinAnsiEncoding >>`]),
      ...this.pages.flatMap((page, i) => {
        const content = deflateSync(Buffer.from(page.content(), 'latin1'));
        return [
          [`<< /Type /Page /Parent ${pageTree} 0 R /MediaBox [0 0 ${nums(page.width, page.height)}] /Resources << /Font << ${fontResources} >> >> /Contents ${pageRef(i) + 1} 0 R >>`],
          [`<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`, content, '\nendstream'],
        ];
      }),
    ];

    // The header's second line is a comment of bytes above 127: it tells tools the file is binary.
    const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
    let offset = chunks[0]!.length;
    const offsets: number[] = [];
    const push = (part: string | Buffer): void => {
      const bytes = typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
      chunks.push(bytes);
      offset += bytes.length;
    };
    objects.forEach((parts, i) => {
      offsets.push(offset);
      push(`${i + 1} 0 obj\n`);
      parts.forEach(push);
      push('\nendobj\n');
    });
    // Each entry is exactly 20 bytes: ten digits, five digits, a keyword, and a two-byte end of line.
    const entries = offsets.map((at) => `${String(at).padStart(10, '0')} 00000 n \n`).join('');
    const xref = offset;
    push(`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${entries}`);
    push(`trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R /Info ${infoRef} 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
    // A copy of its own: a small Buffer.concat is a view of Node's shared pool, which a caller
    // transferring or keeping `.buffer` must not get.
    return new Uint8Array(Buffer.concat(chunks));
  }

  private fontKey(font: StandardFont): string {
    let key = this.fonts.get(font);
    if (key === undefined) {
      key = `F${this.fonts.size + 1}`;
      this.fonts.set(font, key);
    }
    return key;
  }
}

function infoDictionary(info: PdfInfo): string {
  const entries: string[] = [];
  const text = (key: string, value: string | undefined) => value !== undefined && entries.push(`/${key} ${pdfTextString(value)}`);
  const date = (key: string, value: Date | undefined) => value !== undefined && entries.push(`/${key} ${pdfDate(value)}`);
  text('Title', info.title);
  text('Subject', info.subject);
  text('Producer', info.producer);
  text('Creator', info.creator);
  date('CreationDate', info.creationDate);
  date('ModDate', info.modificationDate);
  return `<< ${entries.join(' ')} >>`;
}
