import { readdirSync } from 'node:fs';
import { build, type BuildResult } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * sharp ships a native binary that only the letter processor's asset installs (for arm64); any
 * other function that bundled sharp's JavaScript would crash on its first cold start in AWS.
 */
const FUNCTIONS = readdirSync('functions').filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
const NATIVE_ONLY_IN = new Set(['process-letter']);

const bundles = new Map<string, Promise<BuildResult<{ write: false; metafile: true }>>>();
function bundle(name: string) {
  let built = bundles.get(name);
  if (!built) {
    built = build({ entryPoints: [`functions/${name}.ts`], bundle: true, platform: 'node', format: 'esm', target: 'node22', mainFields: ['module', 'main'], write: false, metafile: true, logLevel: 'silent', external: ['sharp'] });
    bundles.set(name, built);
  }
  return built;
}
/** In every bundle with zod: its schema base type, and a message of the English locale. */
const ZOD = '"$ZodType"';
const ENGLISH = 'Too small: expected';

describe('function bundles', () => {
  it.each(FUNCTIONS)('%s pulls in sharp only if it is the letter processor', async (name) => {
    const result = await bundle(name);
    const importsSharp = result.metafile.outputs[Object.keys(result.metafile.outputs)[0]!]!.imports.some((i) => i.path === 'sharp');
    expect(importsSharp).toBe(NATIVE_ONLY_IN.has(name));
  });

  // zod/mini has no messages of its own: without the locale every 400 would read "Invalid
  // input". It is set in a module that bundlers keep only while something uses it.
  it.each(FUNCTIONS)('%s bundles zod only with its English messages', async (name) => {
    const text = (await bundle(name)).outputFiles[0]!.text;
    expect(!text.includes(ZOD) || text.includes(ENGLISH)).toBe(true);
  });

  it('finds zod where it should: in an API function', async () => {
    expect((await bundle('get-certificate')).outputFiles[0]!.text).toContain(ZOD);
  });
});
