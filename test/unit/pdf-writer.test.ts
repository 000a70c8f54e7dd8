import { inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { PDFDict, PDFDocument, PDFName, PDFObjectParser, PDFString, StandardFonts, type PDFFont } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { HELVETICA, HELVETICA_BOLD, PdfWriter, WIN_ANSI_CODE_POINTS, encodeWinAnsi, pdfNumber, type StandardFont } from '../../lib/adapters/pdf-writer.js';
import { xrefProblems } from '../support/pdf-file.js';

const A4 = [595.28, 841.89] as const;
const LETTER = [612, 792] as const;
const CREATED = new Date('2025-03-14T09:30:05Z');

/** Three pages: two A4 and one US Letter, text in both fonts, every kind of shape. */
function sample(title = 'Révocation – 50 €'): Uint8Array {
  const doc = new PdfWriter({ title, subject: 'A test', producer: 'pdf-writer test', creator: 'vitest', creationDate: CREATED, modificationDate: CREATED, language: 'en' });
  const first = doc.addPage(...A4);
  first.text('Title', 56, 768, HELVETICA_BOLD, 17);
  first.text('Body text (with parentheses)', 56, 740, HELVETICA, 10.5, 0.35);
  first.line(56, 700, 539.28, 700, { stroke: 0.55, lineWidth: 0.5 });
  first.rectangle(56, 600, 118, 19.5, { fill: 0.93, stroke: 0.55, lineWidth: 0.5 });
  first.rectangle(174, 600, 365.28, 19.5, { stroke: 0.55, lineWidth: 0.5 });
  first.rectangle(56, 500, 10, 10, { fill: 0 });
  first.ellipse(300, 300, 58, 40, { stroke: 0.7, lineWidth: 0.75, dash: [3, 3] });
  doc.addPage(...LETTER).text('Second page', 72, 720, HELVETICA, 12);
  doc.addPage(...A4).text('Third page', 56, 768, HELVETICA, 12);
  return doc.save();
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');

/** Every stream's data, inflated, in file order. */
function contentStreams(bytes: Uint8Array): string[] {
  const file = Buffer.from(bytes);
  return [...latin1(bytes).matchAll(/<< \/Length (\d+) \/Filter \/FlateDecode >>\nstream\n/g)].map((m) =>
    inflateSync(file.subarray(m.index + m[0].length, m.index + m[0].length + Number(m[1]))).toString('latin1'),
  );
}

/** The content streams of a document `draw` fills, inflated and joined. */
function contentOf(draw: (doc: PdfWriter) => void): string {
  const doc = new PdfWriter();
  draw(doc);
  return contentStreams(doc.save()).join('\n');
}

describe('PdfWriter', () => {
  it('writes a file pdf-lib loads: every page at its size, its fonts and the document information', async () => {
    const bytes = sample();
    const raw = latin1(bytes);
    expect(raw.startsWith('%PDF-1.4\n')).toBe(true);
    expect(raw.endsWith('%%EOF\n')).toBe(true);

    const doc = await PDFDocument.load(bytes, { updateMetadata: false, throwOnInvalidObject: true });
    expect(doc.getPages().map((p) => [p.getWidth(), p.getHeight()])).toEqual([A4, LETTER, A4]);
    expect(doc.getTitle()).toBe('Révocation – 50 €');
    expect(doc.getSubject()).toBe('A test');
    expect(doc.getProducer()).toBe('pdf-writer test');
    expect(doc.getCreator()).toBe('vitest');
    expect(doc.getCreationDate()).toEqual(CREATED);
    expect(doc.getModificationDate()).toEqual(CREATED);
    expect(doc.catalog.lookup(PDFName.of('Lang'), PDFString).decodeText()).toBe('en');

    const fonts = doc.getPage(0).node.Resources()?.lookup(PDFName.of('Font'), PDFDict);
    const described = fonts?.keys().map((key) => {
      const font = fonts.lookup(key, PDFDict);
      return ['Type', 'Subtype', 'BaseFont', 'Encoding'].map((entry) => font.get(PDFName.of(entry))?.toString());
    });
    expect(described).toEqual([
      ['/Font', '/Type1', '/Helvetica-Bold', '/WinAnsiEncoding'],
      ['/Font', '/Type1', '/Helvetica', '/WinAnsiEncoding'],
    ]);
  });

  it('writes a cross-reference table whose every entry points at its object, and a trailer that finds it', () => {
    const bytes = sample();
    expect(xrefProblems(bytes)).toEqual([]);
    // Catalog, page tree, information, two fonts, and a page and its content for each of three pages.
    expect(Buffer.from(bytes).toString('latin1')).toMatch(/\nxref\n0 12\n[\s\S]*\ntrailer\n<< \/Size 12 \/Root 1 0 R \/Info 3 0 R >>\n/);
  });

  it('writes the same bytes for the same calls, and no file identifier', () => {
    expect(Buffer.from(sample()).equals(Buffer.from(sample()))).toBe(true);
    expect(Buffer.from(sample('Other')).equals(Buffer.from(sample()))).toBe(false);
    expect(latin1(sample())).not.toMatch(/\/ID\s*\[/);
  });

  it('returns bytes of their own, not a view of a shared buffer', () => {
    const bytes = sample();
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
  });

  it('escapes ( ) \\ and writes the other WinAnsi codes as octal escapes, which pdf-lib reads back as those codes', async () => {
    const text = 'a (b) \\ c) ( é € ’ Ÿ ÿ';
    const content = contentOf((doc) => doc.addPage(...A4).text(text, 10, 20, HELVETICA, 12));
    const literal = '(a \\(b\\) \\\\ c\\) \\( \\351 \\200 \\222 \\237 \\377)';
    expect(content).toBe(`q BT /F1 12 Tf 0 g 1 0 0 1 10 20 Tm ${literal} Tj ET Q`);
    expect(content).toMatch(/^[\x20-\x7e\n]*$/);

    const parsed = PDFObjectParser.forBytes(Buffer.from(literal, 'latin1'), (await PDFDocument.create()).context).parseObject();
    expect(parsed).toBeInstanceOf(PDFString);
    expect([...(parsed as PDFString).asBytes()]).toEqual([
      ...Buffer.from('a (b) \\ c) ( ', 'latin1'), 0xe9, 0x20, 0x80, 0x20, 0x92, 0x20, 0x9f, 0x20, 0xff,
    ]);
  });

  it('draws each shape in a graphics state of its own: strokes, fills, both, and a dashed ellipse of four curves', () => {
    const content = contentStreams(sample())[0]!.split('\n');
    expect(content.slice(2)).toEqual([
      'q 0.55 G 0.5 w 56 700 m 539.28 700 l S Q',
      'q 0.93 g 0.55 G 0.5 w 56 600 118 19.5 re B Q',
      'q 0.55 G 0.5 w 174 600 365.28 19.5 re S Q',
      'q 0 g 56 500 10 10 re f Q',
      'q 0.7 G 0.75 w [3 3] 0 d 242 300 m 242 277.909 267.967 260 300 260 c 332.033 260 358 277.909 358 300 c ' +
        '358 322.091 332.033 340 300 340 c 267.967 340 242 322.091 242 300 c S Q',
    ]);
  });

  it('refuses text the standard fonts cannot encode, rather than write the wrong characters', () => {
    const page = new PdfWriter().addPage(...A4);
    for (const text of ['腾讯', 'emoji 🔑', 'tab\there', 'nul\u0000', 'ł']) {
      expect(() => page.text(text, 0, 0, HELVETICA, 10)).toThrow(RangeError);
      expect(() => HELVETICA.widthOfTextAtSize(text, 10)).toThrow(RangeError);
    }
    expect(() => encodeWinAnsi('Ł')).toThrow('WinAnsi cannot encode "Ł" (U+0141)');
  });
});

describe('pdfNumber', () => {
  it('writes at most three decimals, no exponent and no negative zero', () => {
    expect([12, 841.89, 768.8900000000001, 1 / 3, -2.5, 1e-7, -0.0001, 1e20].map(pdfNumber)).toEqual(['12', '841.89', '768.89', '0.333', '-2.5', '0', '0', '100000000000000000000']);
    expect(() => pdfNumber(NaN)).toThrow(RangeError);
    expect(() => pdfNumber(Infinity)).toThrow(RangeError);
  });
});

describe('StandardFont', () => {
  let pdfLib: { regular: PDFFont; bold: PDFFont };
  beforeAll(async () => {
    const doc = await PDFDocument.create();
    pdfLib = { regular: await doc.embedFont(StandardFonts.Helvetica), bold: await doc.embedFont(StandardFonts.HelveticaBold) };
  });
  const fonts = (): [StandardFont, PDFFont][] => [
    [HELVETICA, pdfLib.regular],
    [HELVETICA_BOLD, pdfLib.bold],
  ];

  it('encodes the 218 characters of WinAnsiEncoding that pdf-lib encodes, to their cp1252 codes', () => {
    expect([...WIN_ANSI_CODE_POINTS].sort((a, b) => a - b)).toEqual(pdfLib.regular.getCharacterSet().sort((a, b) => a - b));
    expect([...encodeWinAnsi('A é € ‚ ™ Ÿ ÿ \u00a0')]).toEqual([0x41, 0x20, 0xe9, 0x20, 0x80, 0x20, 0x82, 0x20, 0x99, 0x20, 0x9f, 0x20, 0xff, 0x20, 0xa0]);
  });

  it('measures every character and every pair of characters as pdf-lib does: widths and kerning', () => {
    // Ÿ is measured differently on purpose (below).
    const chars = [...WIN_ANSI_CODE_POINTS].map((c) => String.fromCodePoint(c)).filter((c) => c !== 'Ÿ');
    for (const [ours, theirs] of fonts()) {
      const differ: string[] = [];
      for (const a of chars) {
        if (ours.widthOfTextAtSize(a, 1000) !== theirs.widthOfTextAtSize(a, 1000)) differ.push(a);
        for (const b of chars) if (ours.widthOfTextAtSize(a + b, 1000) !== theirs.widthOfTextAtSize(a + b, 1000)) differ.push(a + b);
      }
      expect(differ, ours.name).toEqual([]);
    }
  });

  it('measures text at any size exactly as pdf-lib does, so lines wrap where they did', () => {
    const chars = [...WIN_ANSI_CODE_POINTS].map((c) => String.fromCodePoint(c)).filter((c) => c !== 'Ÿ');
    const text = fc.array(fc.constantFrom(...chars, 'AV', 'To', 'Y.', 'L’'), { maxLength: 80 }).map((parts) => parts.join(''));
    const size = fc.constantFrom(8, 8.5, 9.5, 10.5, 17, 11.3);
    fc.assert(
      fc.property(text, size, (s, pt) => {
        for (const [ours, theirs] of fonts()) expect(ours.widthOfTextAtSize(s, pt)).toBe(theirs.widthOfTextAtSize(s, pt));
      }),
      { numRuns: 500 },
    );
  });

  it('measures Ÿ (0x9F) by its own glyph, Ydieresis, as wide as Y and kerned like Ý; pdf-lib takes the lowercase ÿ', () => {
    for (const [ours, theirs] of fonts()) {
      expect(ours.widthOfTextAtSize('Ÿ', 1000)).toBe(ours.widthOfTextAtSize('Y', 1000));
      expect(theirs.widthOfTextAtSize('Ÿ', 1000)).toBe(theirs.widthOfTextAtSize('ÿ', 1000));
      for (const c of [...WIN_ANSI_CODE_POINTS].map((p) => String.fromCodePoint(p))) {
        expect(ours.widthOfTextAtSize(`Ÿ${c}`, 1000)).toBe(ours.widthOfTextAtSize(`Ý${c}`, 1000));
        expect(ours.widthOfTextAtSize(`${c}Ÿ`, 1000)).toBe(ours.widthOfTextAtSize(`${c}Ý`, 1000));
      }
    }
  });
});
