import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The functions run without --enable-source-maps; a logged error's stack is mapped from the
 * bundle's .map when it is logged. Proven on a real esbuild bundle (minified, external map, as
 * the functions are built) loaded by Node, which knows nothing of its map.
 */
const THROWER = `import { loggableError } from ${JSON.stringify(resolve('lib/http/logger.ts'))};

export function fail(): never {
  throw new Error('boom');
}

export function logged(): ReturnType<typeof loggableError> {
  try {
    fail();
  } catch (error) {
    return loggableError(error);
  }
}
`;

interface Bundle {
  logged(): { stack?: string };
}

let dir: string;
let mapped: Bundle;
let unmapped: Bundle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certrevoke-stack-'));
  await writeFile(join(dir, 'thrower.ts'), THROWER);
  await build({ entryPoints: [join(dir, 'thrower.ts')], bundle: true, platform: 'node', format: 'esm', minify: true, sourcemap: 'external', sourcesContent: false, outfile: join(dir, 'index.mjs'), logLevel: 'silent', banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" } });
  // The same bundle with no map beside it.
  await copyFile(join(dir, 'index.mjs'), join(dir, 'bare.mjs'));
  mapped = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as Bundle;
  unmapped = (await import(pathToFileURL(join(dir, 'bare.mjs')).href)) as Bundle;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a logged error from a bundle', () => {
  it('has its frames pointed at the source lines, read from the map beside the bundle', () => {
    const stack = mapped.logged().stack!;
    const frames = stack.split('\n').slice(1);
    // `throw new Error` is line 4, column 9 of thrower.ts; `fail()` is called on line 9.
    expect(frames[0]).toMatch(/thrower\.ts:4:9\)?$/);
    expect(frames[1]).toMatch(/thrower\.ts:9:5\)?$/);
    expect(stack).not.toContain('index.mjs');
  });

  it('keeps the bundle frames of a bundle with no map as they were', () => {
    const stack = unmapped.logged().stack!;
    expect(stack.split('\n')[1]).toMatch(/bare\.mjs:\d+:\d+\)?$/);
    expect(stack).not.toContain('thrower.ts');
  });
});
