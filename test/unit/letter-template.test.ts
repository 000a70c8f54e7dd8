import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFObjectParser, PDFRawStream, PDFString, StandardFonts, decodePDFRawStream, type PDFFont } from 'pdf-lib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { A4, LETTER_MARGIN, LETTER_PRODUCER, PdfLetterTemplate, toWinAnsi, toWinAnsiBySegment } from '../../lib/adapters/pdf-letter-template.js';
import type { LetterTemplateData } from '../../lib/app/ports.js';
import { LETTER_MAX_BYTES, LETTER_MIN_BYTES } from '../../lib/domain/letter.js';
import { xrefProblems } from '../support/pdf-file.js';

const renderer = new PdfLetterTemplate();

const data: LetterTemplateData = {
  kind: 'application',
  revocationId: 'rev_01JQ8ZC4T2W9',
  certificateId: 'cert_01JQ8Z7M5K3B',
  domains: ['ssl.example.com', 'www.example.com'],
  serialNumber: '4F2A9C0E11B3D5E7F90123456789ABCDEF012345',
  brand: 'DNSPod',
  productType: 'OV',
  reason: 'The server holding the private key was decommissioned without secure erasure.',
  reasonCode: 'keyCompromise',
  date: '2025-03-14',
  enterpriseName: 'Example Technology Co., Ltd.',
};

/** One `Tj` of the content streams: where it is drawn, in which font, and its decoded text. */
interface TextRun {
  page: number;
  font: string;
  size: number;
  x: number;
  y: number;
  text: string;
}

/** WinAnsiEncoding (cp1252): Latin-1, except these in 0x80–0x9F (Node's TextDecoder treats cp1252 as Latin-1). */
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
const winAnsi = (bytes: Buffer): string =>
  Array.from(bytes, (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] : String.fromCharCode(b))).join('');

/**
 * The text the PDF shows, in drawing order. Each line is written as
 * `/<font> <size> Tf … 1 0 0 1 <x> <y> Tm <string> Tj` in Flate-compressed content streams; the
 * string (literal, with its escapes, or hex) is decoded by pdf-lib's own parser.
 */
async function textRuns(bytes: Uint8Array): Promise<TextRun[]> {
  const doc = await PDFDocument.load(bytes);
  const runs: TextRun[] = [];
  doc.getPages().forEach((page, index) => {
    const fontDict = page.node.Resources()?.lookup(PDFName.of('Font'), PDFDict);
    const baseFont = (key: string): string =>
      fontDict?.lookup(PDFName.of(key), PDFDict).lookup(PDFName.of('BaseFont'), PDFName).decodeText() ?? '?';
    const contents = page.node.Contents();
    const streams =
      contents instanceof PDFArray
        ? Array.from({ length: contents.size() }, (_, i) => contents.lookup(i, PDFRawStream))
        : contents instanceof PDFRawStream
          ? [contents]
          : [];
    let font = '';
    let size = 0;
    let x = 0;
    let y = 0;
    for (const stream of streams) {
      const content = Buffer.from(decodePDFRawStream(stream).decode()).toString('latin1');
      // A literal string token ends at the first unescaped ')': the template's text has every parenthesis escaped.
      const ops = /\/(\S+) ([\d.]+) Tf|(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) Tm|(\((?:\\[\s\S]|[^\\)])*\)|<[0-9A-Fa-f]*>) Tj/g;
      for (const m of content.matchAll(ops)) {
        if (m[1] !== undefined) {
          font = baseFont(m[1]);
          size = Number(m[2]);
        } else if (m[3] !== undefined) {
          x = Number(m[7]);
          y = Number(m[8]);
        } else {
          runs.push({ page: index, font, size, x, y, text: winAnsi(stringBytes(m[9] ?? '()', doc)) });
        }
      }
    }
  });
  return runs;
}

/** The bytes of a PDF string token, as pdf-lib's object parser reads it. */
function stringBytes(token: string, doc: PDFDocument): Buffer {
  const object = PDFObjectParser.forBytes(Buffer.from(token, 'latin1'), doc.context).parseObject();
  if (!(object instanceof PDFString || object instanceof PDFHexString)) throw new Error(`not a string: ${token}`);
  return Buffer.from(object.asBytes());
}

const allText = (runs: readonly TextRun[]): string => runs.map((r) => r.text).join(' ');

let fonts: Record<string, PDFFont>;

beforeAll(async () => {
  const scratch = await PDFDocument.create();
  fonts = {
    Helvetica: await scratch.embedFont(StandardFonts.Helvetica),
    'Helvetica-Bold': await scratch.embedFont(StandardFonts.HelveticaBold),
  };
});

/** Every run lies within the page margins, measured with the standard fonts' metrics. */
function expectWithinMargins(runs: readonly TextRun[]): void {
  const [width, height] = A4;
  for (const run of runs) {
    const font = fonts[run.font];
    expect(font, run.font).toBeDefined();
    const right = run.x + (font?.widthOfTextAtSize(run.text, run.size) ?? Infinity);
    expect(run.x, run.text).toBeGreaterThanOrEqual(LETTER_MARGIN - 0.01);
    expect(right, run.text).toBeLessThanOrEqual(width - LETTER_MARGIN + 0.01);
    expect(run.y, run.text).toBeGreaterThanOrEqual(LETTER_MARGIN - 0.01);
    expect(run.y + run.size, run.text).toBeLessThanOrEqual(height - LETTER_MARGIN + 0.01);
  }
}

describe('PdfLetterTemplate', () => {
  it.each([
    ['application', 'Application for Certificate Revocation', 'apply for the revocation of', 'JPG, GIF or PDF'],
    ['confirmation', 'Confirmation of Certificate Revocation', 'confirm that we requested the revocation of', 'JPG, PNG or PDF'],
  ] as const)('renders the %s letter: one A4 page pre-filled with every field', async (kind, title, wording, formats) => {
    const bytes = await renderer.render({ ...data, kind });

    const raw = Buffer.from(bytes).toString('latin1');
    expect(raw.startsWith('%PDF-')).toBe(true);
    expect(raw.trimEnd().endsWith('%%EOF')).toBe(true);

    const doc = await PDFDocument.load(bytes);
    expect(doc.getPageCount()).toBe(1);
    const { width, height } = doc.getPage(0).getSize();
    expect(width).toBeCloseTo(A4[0], 2);
    expect(height).toBeCloseTo(A4[1], 2);

    const runs = await textRuns(bytes);
    expect(runs[0]?.text).toBe(title);
    const text = allText(runs);
    expect(text).toContain(`We, the undersigned organisation, ${wording} the certificate`);
    for (const value of [
      data.revocationId,
      data.certificateId,
      'ssl.example.com, www.example.com',
      data.serialNumber,
      data.brand,
      data.productType,
      data.reasonCode,
      data.reason,
      data.date,
      data.enterpriseName ?? '',
    ]) {
      expect(text).toContain(value);
    }
    for (const label of ['Request ID', 'Certificate ID', 'Domains', 'Serial number', 'Brand', 'Product type', 'Reason code', 'Reason', 'Date of request']) {
      expect(runs.map((r) => r.text)).toContain(label);
    }
    for (const box of ['Authorised signature', 'Name and title', 'Date', 'Official seal']) {
      expect(runs.map((r) => r.text)).toContain(box);
    }
    expect(text).toContain(`save it as ${formats}.`);
    expect(text).toContain('between 1 KiB and 1.4 MiB');
    expect(text).toContain(`Revocation request ${data.revocationId}`);
    expectWithinMargins(runs);
  });

  it('gives the two kinds different titles and wording', async () => {
    const application = await textRuns(await renderer.render({ ...data, kind: 'application' }));
    const confirmation = await textRuns(await renderer.render({ ...data, kind: 'confirmation' }));
    expect(application[0]?.text).not.toBe(confirmation[0]?.text);
    expect(allText(application)).not.toContain('confirm that we requested');
    expect(allText(confirmation)).not.toContain('apply for the revocation');
  });

  it('is deterministic: the same data gives the same bytes, a changed field different ones', async () => {
    const first = await renderer.render(data);
    const second = await new PdfLetterTemplate().render({ ...data, domains: [...data.domains] });
    expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);

    const changed = await renderer.render({ ...data, serialNumber: '4F2A9C0E11B3D5E7F90123456789ABCDEF012346' });
    expect(Buffer.from(changed).equals(Buffer.from(first))).toBe(false);
    const otherDay = await renderer.render({ ...data, date: '2025-03-15' });
    expect(Buffer.from(otherDay).equals(Buffer.from(first))).toBe(false);

    // No random file identifier, and the metadata comes from the request, not the clock.
    expect(Buffer.from(first).toString('latin1')).not.toMatch(/\/ID\s*\[/);
    const doc = await PDFDocument.load(first, { updateMetadata: false });
    expect(doc.getCreationDate()?.toISOString()).toBe('2025-03-14T00:00:00.000Z');
    expect(doc.getModificationDate()?.toISOString()).toBe('2025-03-14T00:00:00.000Z');
    expect(doc.getProducer()).toBe(LETTER_PRODUCER);
    expect(doc.getCreator()).toBe(LETTER_PRODUCER);
  });

  it('renders text the standard fonts cannot encode without throwing', async () => {
    const bytes = await renderer.render({
      ...data,
      kind: 'confirmation',
      enterpriseName: '腾讯科技（深圳）有限公司',
      reason: 'Key compromised 🔑👨‍👩‍👧 — café “now”\u202E',
      domains: ['例子.测试', '*.bücher.example'],
      brand: 'GeoTrust\u0000',
    });
    const runs = await textRuns(bytes);
    const text = allText(runs);
    expect(text).toContain('Key compromised ?? — café “now”');
    // Internationalised domains as A-labels: exact and printable.
    expect(text).toContain('xn--fsqu00a.xn--0zwm56d, *.xn--bcher-kva.example');
    // A name that would print as "????" leaves a line to write it by hand instead.
    expect(text).toContain('Full registered name of the organisation, as on its official seal');
    expect(text).not.toMatch(/\?{4}/);
    expect((await PDFDocument.load(bytes)).getPageCount()).toBe(1);
  });

  it('writes ( ) \\ and accented and typographic characters as their WinAnsi codes', async () => {
    const reason = 'Key :) leaked (twice \\ thrice) ( — café, “Ÿ” ‰ and 50 €';
    const runs = await textRuns(await renderer.render({ ...data, reason, enterpriseName: 'Bücher (Köln) \\ GmbH' }));
    const texts = runs.map((r) => r.text);
    expect(texts).toContain(reason);
    expect(texts).toContain('Bücher (Köln) \\ GmbH');
  });

  it('reduces text to WinAnsi: keeps, transliterates, or replaces each character', () => {
    const encodable = new Set(fonts.Helvetica?.getCharacterSet());
    expect(toWinAnsi('Société Générale – “Ltd”', encodable)).toEqual({ text: 'Société Générale – “Ltd”', lossy: false });
    expect(toWinAnsi('Łódź Győr e\u0301 ＡＢＣ ﬁ', encodable)).toEqual({ text: 'Lódz Gyor é ABC fi', lossy: false });
    expect(toWinAnsi('腾讯（深圳）', encodable)).toEqual({ text: '??(??)', lossy: true });
    expect(toWinAnsi('a 👨‍👩‍👧 b 🔑', encodable)).toEqual({ text: 'a ? b ?', lossy: true });
    expect(toWinAnsi(' a\t\n\u00a0 b\u200d\u202e ', encodable)).toEqual({ text: 'a b', lossy: false });
  });

  it('takes the plain-ASCII shortcut only where it gives what reducing each character gives', () => {
    const helvetica = new Set(fonts.Helvetica?.getCharacterSet());
    // A font without some ASCII characters ('~', '|') must not take the shortcut for them.
    const partial = new Set([...helvetica].filter((c) => c !== 0x7e && c !== 0x7c));
    const ascii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
    const mixed = fc.string({ unit: fc.constantFrom(' ', '  ', 'a', '~', '|', '\t', '\n', 'é', '\u00a0', '\u200d', '腾'), maxLength: 20 });
    fc.assert(
      fc.property(fc.oneof(ascii, mixed), fc.constantFrom(helvetica, partial), (text, encodable) => {
        expect(toWinAnsi(text, encodable)).toEqual(toWinAnsiBySegment(text, encodable));
      }),
      { numRuns: 2000 },
    );
    expect(toWinAnsi('a ~ b', partial)).toEqual({ text: 'a ? b', lossy: true });
  });

  it('wraps a 500-character reason within the margins, every word in order', async () => {
    const words = Array.from({ length: 200 }, (_, i) => ['server', 'key', 'decommissioned', 'compromise', 'WWW', 'erasure'][i % 6]);
    const reason = words.join(' ').slice(0, 500).trim();
    expect(reason.length).toBeGreaterThan(490);
    const bytes = await renderer.render({ ...data, reason });
    const runs = await textRuns(bytes);
    expect(allText(runs)).toContain(reason);
    expect(runs.filter((r) => reason.includes(r.text)).length).toBeGreaterThan(5);
    expectWithinMargins(runs);
    expect((await PDFDocument.load(bytes)).getPageCount()).toBe(1);
  });

  it('breaks words wider than a line between characters', async () => {
    const reason = 'W'.repeat(500);
    const domain = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.example.com`;
    const runs = await textRuns(await renderer.render({ ...data, reason, domains: [domain] }));
    expect(runs.filter((r) => /^W+$/.test(r.text)).map((r) => r.text).join('')).toBe(reason);
    expect(allText(runs).replace(/ /g, '')).toContain(domain);
    expectWithinMargins(runs);
  });

  it('continues on further pages only when the content needs them, with the footer on each', async () => {
    const domains = Array.from({ length: 120 }, (_, i) => `host-${i}.a-rather-long-subdomain-name.example.com`);
    const bytes = await renderer.render({ ...data, domains });
    const doc = await PDFDocument.load(bytes);
    const pages = doc.getPageCount();
    expect(pages).toBeGreaterThan(1);
    const runs = await textRuns(bytes);
    const text = allText(runs);
    for (const domain of domains) expect(text).toContain(domain);
    for (let page = 1; page <= pages; page++) expect(text).toContain(`Page ${page} of ${pages}`);
    expect(runs.map((r) => r.text)).toContain('Domains (cont.)');
    // The organisation line stays with the signature boxes.
    const organisation = runs.find((r) => r.text === 'Organisation:');
    expect(organisation?.page).toBe(runs.find((r) => r.text === 'Official seal')?.page);
    expectWithinMargins(runs);
  });

  it('leaves a line for the organisation name when none is on record, and marks unknown values', async () => {
    const runs = await textRuns(await renderer.render({ ...data, enterpriseName: undefined, serialNumber: '', domains: ['a.example', 'a.example'] }));
    const text = allText(runs);
    expect(text).toContain('Organisation:');
    expect(text).toContain('Full registered name of the organisation');
    expect(text).toContain('Serial number - Brand');
    expect(text).toContain('Domain a.example Serial');
  });

  // Render time is a benchmark's business (no timing assertions here): this checks the size.
  it('is small', async () => {
    const bytes = await renderer.render({ ...data, reason: 'x '.repeat(250).trim() });
    expect(bytes.length).toBeLessThan(LETTER_MAX_BYTES / 50);
  });

  it('can itself be uploaded: at least 1 KiB even when nearly empty, and small with many pages', async () => {
    const empty = { ...data, domains: [], serialNumber: '', brand: '', productType: '', reason: '', reasonCode: '', enterpriseName: undefined };
    expect((await renderer.render(empty)).length).toBeGreaterThanOrEqual(LETTER_MIN_BYTES);
    const domains = Array.from({ length: 400 }, (_, i) => `host-${i}.a-rather-long-subdomain-name.example.com`);
    const long = await renderer.render({ ...data, domains, reason: 'W'.repeat(500) });
    expect((await PDFDocument.load(long)).getPageCount()).toBeGreaterThan(5);
    expect(long.length).toBeLessThan(LETTER_MAX_BYTES / 50);
  });

  it('writes a cross-reference table that points at every object, on one page and on several', async () => {
    expect(xrefProblems(await renderer.render(data))).toEqual([]);
    const domains = Array.from({ length: 120 }, (_, i) => `host-${i}.example.com`);
    const bytes = await renderer.render({ ...data, domains });
    expect((await PDFDocument.load(bytes)).getPageCount()).toBeGreaterThan(1);
    expect(xrefProblems(bytes)).toEqual([]);
  });

  it('refuses a date that is not yyyy-mm-dd', async () => {
    await expect(renderer.render({ ...data, date: '2025-02-30' })).rejects.toThrow(RangeError);
    await expect(renderer.render({ ...data, date: '14/03/2025' })).rejects.toThrow(RangeError);
  });
});
