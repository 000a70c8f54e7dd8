import { domainToASCII } from 'node:url';
import type { LetterTemplateData, LetterTemplateRenderer } from '../app/ports.js';
import { LETTER_MAX_BYTES, LETTER_MIN_BYTES } from '../domain/letter.js';
import { LETTER_TYPES, type LetterKind } from '../domain/revocation.js';
import { HELVETICA, HELVETICA_BOLD, PdfWriter, WIN_ANSI_CODE_POINTS, type Grey, type PdfWriterPage, type StandardFont } from './pdf-writer.js';

/** A4 in PDF points. */
export const A4: readonly [number, number] = [595.28, 841.89];
/** Left, right, top and bottom margin: about 20 mm. */
export const LETTER_MARGIN = 56;

const [PAGE_WIDTH, PAGE_HEIGHT] = A4;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * LETTER_MARGIN;
const RIGHT_EDGE = PAGE_WIDTH - LETTER_MARGIN;

/** Fixed so that the same request always renders the same bytes. */
export const LETTER_PRODUCER = 'certificate-service letter template';

const TITLES: Record<LetterKind, string> = {
  application: 'Application for Certificate Revocation',
  confirmation: 'Confirmation of Certificate Revocation',
};

const OPENINGS: Record<LetterKind, string> = {
  application:
    'We, the undersigned organisation, apply for the revocation of the certificate described below, ' +
    'for the reason stated. We declare that we are the subscriber of this certificate and entitled to ' +
    'request its revocation, and we understand that revocation is final: a revoked certificate cannot ' +
    'be restored or used again.',
  confirmation:
    'We, the undersigned organisation, confirm that we requested the revocation of the certificate ' +
    'described below, for the reason stated. We declare that we are the subscriber of this certificate ' +
    'and entitled to request its revocation, and we understand that revocation is final: a revoked ' +
    'certificate cannot be restored or used again.',
};

const BLACK: Grey = 0;
const GREY: Grey = 0.35;
const LIGHT: Grey = 0.7;
const RULE: Grey = 0.55;
const LABEL_FILL: Grey = 0.93;

const TITLE_SIZE = 17;
const BODY_SIZE = 10.5;
const BODY_LEADING = 14.5;
const TABLE_SIZE = 9.5;
const TABLE_LEADING = 12.5;
const TABLE_LABEL_WIDTH = 118;
const CELL_PAD = 5;
const FOOTER_SIZE = 8.5;
const FOOTER_LEADING = 11;
const BOX_LABEL_SIZE = 8;
const SEAL_SIZE = 170;
const BOX_GAP = 8;
/** Signature, name and title, date: together as tall as the seal box. */
const SIGNATURE_BOXES: readonly (readonly [string, number])[] = [
  ['Authorised signature', 74],
  ['Name and title', 44],
  ['Date', SEAL_SIZE - 74 - 44 - 2 * BOX_GAP],
];

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Latin letters without a canonical decomposition, and their plain-letter stand-ins. */
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', Ħ: 'H', ħ: 'h', ı: 'i', Ŧ: 'T', ŧ: 't', Ŀ: 'L', ŀ: 'l', ĸ: 'k', Ŋ: 'N', ŋ: 'n',
};

export interface WinAnsiText {
  text: string;
  /** True when some character could not be shown, not even transliterated, and became '?'. */
  lossy: boolean;
}

/**
 * Text the standard fonts can show: they only encode WinAnsi (cp1252). Each user-perceived
 * character is kept when encodable, else composed (NFC), else transliterated (accents stripped
 * by NFKD, full-width "（" → "(", "ł" → "l"), else replaced by a single '?' (an emoji sequence
 * is one '?'). Whitespace runs become one space; invisible format characters (zero-width
 * joiners, bidi overrides) are dropped.
 */
export function toWinAnsi(text: string, encodable: ReadonlySet<number>): WinAnsiText {
  // Printable ASCII the font encodes is kept as it is (each character is its own grapheme): the
  // common case, without segmenting (a 120-domain letter spent most of its render there).
  if (PRINTABLE_ASCII.test(text) && everyEncodable(text, encodable)) return { text: text.replace(/ {2,}/g, ' ').trim(), lossy: false };
  return toWinAnsiBySegment(text, encodable);
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function everyEncodable(text: string, encodable: ReadonlySet<number>): boolean {
  for (let i = 0; i < text.length; i++) if (!encodable.has(text.charCodeAt(i))) return false;
  return true;
}

/** {@link toWinAnsi} one grapheme at a time; exported so tests can hold the ASCII shortcut to it. */
export function toWinAnsiBySegment(text: string, encodable: ReadonlySet<number>): WinAnsiText {
  const fits = (s: string): boolean => s !== '' && [...s].every((c) => encodable.has(c.codePointAt(0) ?? -1));
  let out = '';
  let lossy = false;
  for (const { segment } of segmenter.segment(text)) {
    if (/^\s+$/u.test(segment)) {
      out += ' ';
      continue;
    }
    const visible = segment.replace(/\p{Cf}/gu, '');
    if (visible === '') continue;
    const composed = visible.normalize('NFC');
    const stripped = [...visible.normalize('NFKD').replace(/[\p{M}\p{Cf}]/gu, '')].map((c) => TRANSLITERATIONS[c] ?? c).join('');
    if (fits(composed)) out += composed;
    else if (fits(stripped)) out += stripped;
    else {
      out += '?';
      lossy = true;
    }
  }
  return { text: out.replace(/ {2,}/g, ' ').trim(), lossy };
}

/**
 * Greedy word wrap within `maxWidth`; a word wider than a whole line (a long domain, a reason
 * without spaces) is broken between characters.
 */
export function wrapText(text: string, font: StandardFont, size: number, maxWidth: number): string[] {
  const width = (s: string): number => font.widthOfTextAtSize(s, size);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').filter((w) => w !== '')) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (width(candidate) <= maxWidth) {
      line = candidate;
      continue;
    }
    if (line !== '') lines.push(line);
    line = '';
    if (width(word) <= maxWidth) {
      line = word;
      continue;
    }
    for (const char of word) {
      if (line !== '' && width(line + char) > maxWidth) {
        lines.push(line);
        line = '';
      }
      line += char;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

function formatList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function formatBytes(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',');
}

function submissionInstant(date: string): Date {
  const instant = /^\d{4}-\d{2}-\d{2}$/.test(date) ? new Date(`${date}T00:00:00Z`) : new Date(NaN);
  if (Number.isNaN(instant.getTime()) || instant.toISOString().slice(0, 10) !== date) {
    throw new RangeError(`letter template date must be yyyy-mm-dd, got ${JSON.stringify(date)}`);
  }
  return instant;
}

/** The rule above a footer of `lines` instruction lines (heading and request line included). */
function footerTop(lines: number): number {
  return LETTER_MARGIN + 6 + (lines + 1) * FOOTER_LEADING + 2 + FOOTER_SIZE + 6;
}

function drawText(page: PdfWriterPage, text: string, x: number, y: number, font: StandardFont, size: number, color: Grey = BLACK): void {
  if (text !== '') page.text(text, x, y, font, size, color);
}

/** Top-to-bottom flow over as many pages as the content needs, above a reserved footer. */
class Flow {
  readonly pages: PdfWriterPage[] = [];
  page!: PdfWriterPage;
  y = 0;

  constructor(
    private readonly doc: PdfWriter,
    /** Lowest y the body may reach (the footer sits below). */
    readonly bottom: number,
  ) {
    this.newPage();
  }

  get top(): number {
    return PAGE_HEIGHT - LETTER_MARGIN;
  }

  newPage(): void {
    this.page = this.doc.addPage(PAGE_WIDTH, PAGE_HEIGHT);
    this.pages.push(this.page);
    this.y = this.top;
  }

  /** Starts a new page unless `height` still fits on this one. */
  ensure(height: number): void {
    if (this.y - height < this.bottom && this.y < this.top) this.newPage();
  }

  text(s: string, x: number, y: number, font: StandardFont, size: number, color: Grey = BLACK): void {
    drawText(this.page, s, x, y, font, size, color);
  }

  /** Wrapped lines from the current position, breaking pages between lines. */
  paragraph(lines: readonly string[], x: number, font: StandardFont, size: number, leading: number, color: Grey = BLACK): void {
    for (const line of lines) {
      this.ensure(leading);
      this.text(line, x, this.y - size, font, size, color);
      this.y -= leading;
    }
  }
}

/**
 * The revocation letter of the `letter` route (RULES.md): an A4 page pre-filled with the
 * request's details, with boxes for signature and official seal, for the customer to print,
 * sign, stamp, scan and upload. Only the standard Helvetica fonts (no font files): text is
 * reduced to WinAnsi by `toWinAnsi`. Deterministic: dates come from `data.date`, producer and
 * creator are fixed, and the writer adds no file identifier.
 */
export class PdfLetterTemplate implements LetterTemplateRenderer {
  async render(data: LetterTemplateData): Promise<Uint8Array> {
    const instant = submissionInstant(data.date);
    const clean = (s: string): string => toWinAnsi(s, WIN_ANSI_CODE_POINTS).text;
    // An internationalised domain is shown as its A-label: exact, and printable in WinAnsi.
    const domain = (d: string): string => clean(/[^\x20-\x7e]/.test(d) ? domainToASCII(d.trim()) || d : d);

    const requestId = clean(data.revocationId);
    const title = TITLES[data.kind];
    const doc = new PdfWriter({
      title: `${title} - ${requestId}`,
      subject: `Revocation request ${requestId}`,
      language: 'en',
      producer: LETTER_PRODUCER,
      creator: LETTER_PRODUCER,
      creationDate: instant,
      modificationDate: instant,
    });

    const footer = this.footerLines(data.kind, requestId);
    const flow = new Flow(doc, footerTop(footer.length) + 14);

    // Title and opening.
    flow.text(title, LETTER_MARGIN, flow.y - TITLE_SIZE, HELVETICA_BOLD, TITLE_SIZE);
    flow.y -= TITLE_SIZE + 18;
    flow.paragraph(wrapText(OPENINGS[data.kind], HELVETICA, BODY_SIZE, CONTENT_WIDTH), LETTER_MARGIN, HELVETICA, BODY_SIZE, BODY_LEADING);
    flow.y -= 10;

    // The certificate and the request.
    const domains = [...new Set(data.domains.map(domain).filter((d) => d !== ''))];
    const rows: [string, string][] = [
      ['Request ID', requestId],
      ['Certificate ID', clean(data.certificateId)],
      [domains.length > 1 ? 'Domains' : 'Domain', domains.join(', ')],
      ['Serial number', clean(data.serialNumber)],
      ['Brand', clean(data.brand)],
      ['Product type', clean(data.productType)],
      ['Reason code', clean(data.reasonCode)],
      ['Reason', clean(data.reason)],
      ['Date of request', data.date],
    ];
    // An unknown value (e.g. a certificate no longer on record) shows as '-', not as an empty cell.
    for (const [label, value] of rows) this.row(flow, label, value === '' ? '-' : value);
    flow.y -= 18;

    // Who signs: the name on record, or a line to write it by hand when there is none or the
    // standard fonts cannot print it (a Chinese name would come out as "????").
    const name = data.enterpriseName === undefined ? undefined : toWinAnsi(data.enterpriseName, WIN_ANSI_CODE_POINTS);
    const organisation = name === undefined || name.lossy ? '' : name.text;
    const orgLabel = 'Organisation: ';
    const orgX = LETTER_MARGIN + HELVETICA_BOLD.widthOfTextAtSize(orgLabel, BODY_SIZE);
    const orgLines = organisation === '' ? [''] : wrapText(organisation, HELVETICA, BODY_SIZE, RIGHT_EDGE - orgX);
    const hint = organisation === '' ? 'Full registered name of the organisation, as on its official seal' : '';
    // Keep the name with the signature boxes below it.
    flow.ensure(orgLines.length * BODY_LEADING + (hint === '' ? 0 : BOX_LABEL_SIZE + 4) + 10 + SEAL_SIZE);
    flow.text(orgLabel.trim(), LETTER_MARGIN, flow.y - BODY_SIZE, HELVETICA_BOLD, BODY_SIZE);
    if (organisation === '') {
      const lineY = flow.y - BODY_SIZE - 2;
      flow.page.line(orgX, lineY, RIGHT_EDGE, lineY, { stroke: RULE, lineWidth: 0.5 });
      flow.text(hint, orgX, lineY - BOX_LABEL_SIZE - 1, HELVETICA, BOX_LABEL_SIZE, GREY);
      flow.y -= BODY_LEADING + BOX_LABEL_SIZE + 4;
    } else {
      flow.paragraph(orgLines, orgX, HELVETICA, BODY_SIZE, BODY_LEADING);
    }
    flow.y -= 10;

    this.signatureBoxes(flow);

    const total = flow.pages.length;
    flow.pages.forEach((page, index) => this.drawFooter(page, footer, requestId, index + 1, total));

    return doc.save();
  }

  /** A label cell and a wrapped value cell; a value too long for the rest of the page continues on the next. */
  private row(flow: Flow, label: string, value: string): void {
    const valueX = LETTER_MARGIN + TABLE_LABEL_WIDTH + CELL_PAD;
    let rest = wrapText(value, HELVETICA, TABLE_SIZE, RIGHT_EDGE - CELL_PAD - valueX);
    let cellLabel = label;
    const height = (lines: number): number => 2 * CELL_PAD + TABLE_SIZE + (lines - 1) * TABLE_LEADING;
    const capacity = (space: number): number => Math.max(0, Math.floor((space - 2 * CELL_PAD - TABLE_SIZE) / TABLE_LEADING) + 1);
    for (;;) {
      const here = capacity(flow.y - flow.bottom);
      const lines = rest.length <= here ? rest : rest.length <= capacity(flow.top - flow.bottom) || here === 0 ? [] : rest.slice(0, here);
      if (lines.length === 0) {
        flow.newPage();
        continue;
      }
      const h = height(lines.length);
      const top = flow.y;
      flow.page.rectangle(LETTER_MARGIN, top - h, TABLE_LABEL_WIDTH, h, { fill: LABEL_FILL, stroke: RULE, lineWidth: 0.5 });
      flow.page.rectangle(LETTER_MARGIN + TABLE_LABEL_WIDTH, top - h, CONTENT_WIDTH - TABLE_LABEL_WIDTH, h, { stroke: RULE, lineWidth: 0.5 });
      const baseline = top - CELL_PAD - TABLE_SIZE * 0.8;
      flow.text(cellLabel, LETTER_MARGIN + CELL_PAD, baseline, HELVETICA_BOLD, TABLE_SIZE);
      lines.forEach((line, i) => flow.text(line, valueX, baseline - i * TABLE_LEADING, HELVETICA, TABLE_SIZE));
      flow.y = top - h;
      rest = rest.slice(lines.length);
      if (rest.length === 0) return;
      cellLabel = `${label} (cont.)`;
      flow.newPage();
    }
  }

  /** Signature, name and title, date on the left; the larger official-seal box on the right. */
  private signatureBoxes(flow: Flow): void {
    flow.ensure(SEAL_SIZE);
    const top = flow.y;
    const boxWidth = CONTENT_WIDTH - SEAL_SIZE - 2 * BOX_GAP;
    let y = top;
    for (const [label, height] of SIGNATURE_BOXES) {
      this.box(flow, label, LETTER_MARGIN, y - height, boxWidth, height);
      y -= height + BOX_GAP;
    }
    const sealX = RIGHT_EDGE - SEAL_SIZE;
    this.box(flow, 'Official seal', sealX, top - SEAL_SIZE, SEAL_SIZE, SEAL_SIZE);
    const centre = { x: sealX + SEAL_SIZE / 2, y: top - SEAL_SIZE / 2 - 4 };
    flow.page.ellipse(centre.x, centre.y, 58, 58, { stroke: LIGHT, lineWidth: 0.75, dash: [3, 3] });
    const hint = 'Place the seal here';
    flow.text(hint, centre.x - HELVETICA.widthOfTextAtSize(hint, BOX_LABEL_SIZE) / 2, centre.y - BOX_LABEL_SIZE / 3, HELVETICA, BOX_LABEL_SIZE, LIGHT);
    flow.y = top - SEAL_SIZE;
  }

  private box(flow: Flow, label: string, x: number, y: number, width: number, height: number): void {
    flow.page.rectangle(x, y, width, height, { stroke: BLACK, lineWidth: 0.75 });
    flow.text(label, x + 5, y + height - 5 - BOX_LABEL_SIZE * 0.8, HELVETICA, BOX_LABEL_SIZE, GREY);
  }

  /** The numbered instructions, each wrapped with a hanging indent: [number, lines]. */
  private footerLines(kind: LetterKind, requestId: string): [string, string][] {
    const formats = formatList(LETTER_TYPES[kind].map((t) => t.toUpperCase()));
    const steps = [
      'Print this letter on A4 paper at 100% scale.',
      'Have an authorised person sign it and fill in "Name and title" and "Date".',
      'Stamp it with the organisation\'s official seal in the "Official seal" box; the seal must be clearly legible.',
      `Scan the signed and stamped letter and save it as ${formats}.`,
      `Upload the scan to revocation request ${requestId}: the file must be between 1 KiB and 1.4 MiB ` +
        `(${formatBytes(LETTER_MIN_BYTES)} to ${formatBytes(LETTER_MAX_BYTES)} bytes).`,
    ];
    return steps.flatMap((step, i) =>
      wrapText(step, HELVETICA, FOOTER_SIZE, CONTENT_WIDTH - 14).map((line, j): [string, string] => [j === 0 ? `${i + 1}.` : '', line]),
    );
  }

  private drawFooter(page: PdfWriterPage, lines: readonly [string, string][], requestId: string, number: number, total: number): void {
    const baseline = (i: number): number => LETTER_MARGIN + 6 + (lines.length - i) * FOOTER_LEADING;
    const heading = baseline(-1) + 2;
    page.line(LETTER_MARGIN, footerTop(lines.length), RIGHT_EDGE, footerTop(lines.length), { stroke: RULE, lineWidth: 0.5 });
    drawText(page, 'Instructions', LETTER_MARGIN, heading, HELVETICA_BOLD, FOOTER_SIZE);
    lines.forEach(([num, line], i) => {
      if (num !== '') drawText(page, num, LETTER_MARGIN, baseline(i), HELVETICA, FOOTER_SIZE);
      drawText(page, line, LETTER_MARGIN + 14, baseline(i), HELVETICA, FOOTER_SIZE);
    });
    const pageLabel = `Page ${number} of ${total}`;
    drawText(page, `Revocation request ${requestId}`, LETTER_MARGIN, LETTER_MARGIN, HELVETICA, 8, GREY);
    drawText(page, pageLabel, RIGHT_EDGE - HELVETICA.widthOfTextAtSize(pageLabel, 8), LETTER_MARGIN, HELVETICA, 8, GREY);
  }

}
