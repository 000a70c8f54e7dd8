/**
 * What the function bundles get instead of `@pdf-lib/standard-fonts` (an esbuild alias; see
 * infra/constructs/function.ts). pdf-lib reaches those 14 fonts' metrics (about 127 KB) through
 * modules the PDF check's parser loads, but only embedding a font reads them, and no function
 * embeds one with pdf-lib: the letter template draws with its own writer
 * (lib/adapters/pdf-writer.ts). pdf-lib reads the font names as it loads; anything more fails
 * loudly rather than drawing wrong. Never used outside Lambda bundles.
 */
export const FontNames = {
  Courier: 'Courier',
  CourierBold: 'Courier-Bold',
  CourierOblique: 'Courier-Oblique',
  CourierBoldOblique: 'Courier-BoldOblique',
  Helvetica: 'Helvetica',
  HelveticaBold: 'Helvetica-Bold',
  HelveticaOblique: 'Helvetica-Oblique',
  HelveticaBoldOblique: 'Helvetica-BoldOblique',
  TimesRoman: 'Times-Roman',
  TimesRomanBold: 'Times-Bold',
  TimesRomanItalic: 'Times-Italic',
  TimesRomanBoldItalic: 'Times-BoldItalic',
  Symbol: 'Symbol',
  ZapfDingbats: 'ZapfDingbats',
} as const;

const unavailable = (): never => {
  throw new Error("pdf-lib's standard fonts are not bundled in this function (lib/lambda/no-standard-fonts.ts): it cannot embed a font.");
};

export const Font = { load: unavailable };
export const Encodings = new Proxy({}, { get: unavailable });
