import { readdirSync } from 'node:fs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * sharp ships a native binary that only the letter processor's asset installs (for arm64); any
 * other function that bundled sharp's JavaScript would crash on its first cold start in AWS.
 */
const FUNCTIONS = readdirSync('functions').filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
const NATIVE_ONLY_IN = new Set(['process-letter']);

describe('function bundles', () => {
  it.each(FUNCTIONS)('%s pulls in sharp only if it is the letter processor', async (name) => {
    const result = await build({
      entryPoints: [`functions/${name}.ts`],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['sharp'],
    });
    const importsSharp = result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!.imports.some((i) => i.path === 'sharp');
    expect(importsSharp).toBe(NATIVE_ONLY_IN.has(name));
  });
});
