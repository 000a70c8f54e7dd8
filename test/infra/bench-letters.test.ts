import { describe, expect, it } from 'vitest';
import { measureLetters } from '../../bench/letters.js';

// Not a timing test: it proves `npm run bench -- letters` still runs the processor's checks as
// they are bundled (its PDF worker bundle included) and reports a figure for each file type.
describe('bench letters', () => {
  it('checks the 1.4 MiB JPEG and PDF in the bundled inspector and reports each', async () => {
    const r = await measureLetters(2);
    for (const figure of [r.jpeg, r.pdf]) {
      expect(figure.bytes).toBeGreaterThan(1_400_000);
      expect(figure.processorMs).toBeGreaterThan(0);
      expect(figure.rawMs).toBeGreaterThan(0);
      expect(figure.peakRssMb).toBeGreaterThan(0);
    }
    expect(Number.isFinite(r.letterPdfRatio) && Number.isFinite(r.letterJpegRatio)).toBe(true);
  }, 120_000);
});
