import { describe, expect, it } from 'vitest';
import { functionsOfApp, measureBundles } from '../../bench/bundles.js';
import { LETTER_PROCESSOR_ENTRY } from '../../infra/constructs/letter-processing.js';

// Not a timing test: it proves `npm run bench -- bundles` builds bundles as CDK does (worker
// bundles beside them), loads each in a fresh node every round, and splits each bundle's KB.
describe('bench bundles', () => {
  it('reports each bundle and worker bundle with its size per family of code and a load time per round', async () => {
    const functions = functionsOfApp().filter((fn) => fn.entry === LETTER_PROCESSOR_ENTRY || fn.entry === 'functions/health.ts');
    const r = await measureBundles(2, functions);
    expect(r.functions.map((f) => f.entry).sort()).toEqual(['functions/health.ts', LETTER_PROCESSOR_ENTRY, `${LETTER_PROCESSOR_ENTRY} → pdf-check.worker.mjs`]);
    for (const f of r.functions) {
      expect(f.initMs.min).toBeGreaterThan(0);
      expect(f.initMs.min).toBeLessThanOrEqual(f.initMs.median);
      expect(f.initMs.median).toBeLessThanOrEqual(f.initMs.max);
      // The families account for the bundle but esbuild's own helpers and the banner.
      const families = Object.values(f.weightsKb).reduce((a, b) => a + b, 0);
      expect(families / f.kb).toBeGreaterThan(0.95);
      expect(families).toBeLessThanOrEqual(f.kb);
    }
    const by = new Map(r.functions.map((f) => [f.entry, f]));
    // DynamoDB's marshalling only: the processor's S3, DynamoDB and Step Functions calls are our client's.
    expect(by.get(LETTER_PROCESSOR_ENTRY)!.weightsKb['AWS SDK']).toBeGreaterThan(2);
    expect(by.get(LETTER_PROCESSOR_ENTRY)!.weightsKb['AWS SDK']).toBeLessThan(10);
    expect(by.get(`${LETTER_PROCESSOR_ENTRY} → pdf-check.worker.mjs`)!.weightsKb['AWS SDK']).toBe(0);
    expect(by.get('functions/health.ts')!.weightsKb['AWS SDK']).toBe(0);
    expect(r.maxBundleKb).toBe(Math.max(...r.functions.map((f) => f.kb)));
    expect(r.maxInitMs).toBe(Math.max(...r.functions.map((f) => f.initMs.median)));
  }, 120_000);
});
