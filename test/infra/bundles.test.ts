import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildResult } from 'esbuild';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { esbuildOptions, functionsOfApp, workerEsbuildOptions } from '../../bench/bundles.js';
import { PROJECT_ROOT } from '../../infra/constructs/function.js';
import { LETTER_PROCESSOR_ENTRY } from '../../infra/constructs/letter-processing.js';

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
/** What reached a built file: the metafile's inputs also list files read and then shaken out. */
function bundled(result: BuildResult<{ metafile: true }>): string[] {
  return Object.values(result.metafile.outputs).flatMap((output) => Object.entries(output.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([file]) => file));
}
/**
 * How a bundle loads sharp: an import esbuild saw (sharp's ES module build), or a require of its
 * CommonJS build (the letter inspector's `createRequire`, a call esbuild leaves to run time).
 */
function sharpLoads(result: BuildResult<{ write: false; metafile: true }>): { imports: boolean; requires: boolean } {
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint)!;
  return { imports: output.imports.some((i) => i.path === 'sharp'), requires: /\(\s*["']sharp["']\s*\)/.test(result.outputFiles.find((f) => f.path.endsWith('.mjs') || f.path.endsWith('.js') || f.path === '<stdout>')!.text) };
}
/** In every bundle with zod: its schema base type, and a message of the English locale. */
const ZOD = '"$ZodType"';
const ENGLISH = 'Too small: expected';

describe('function bundles', () => {
  it.each(FUNCTIONS)('%s pulls in sharp only if it is the letter processor', async (name) => {
    const loads = sharpLoads(await bundle(name));
    expect(loads.imports || loads.requires).toBe(NATIVE_ONLY_IN.has(name));
  });

  // zod/mini has no messages of its own: without the locale every 400 would read "Invalid
  // input". It is set in a module that bundlers keep only while something uses it.
  it.each(FUNCTIONS)('%s bundles zod only with its English messages', async (name) => {
    const text = (await bundle(name)).outputFiles[0]!.text;
    expect(!text.includes(ZOD) || text.includes(ENGLISH)).toBe(true);
  });

  // sharp's ES module build imports semver and detect-libc through Node's ESM-to-CommonJS
  // bridge: ≈ 45 ms more of the processor's cold start than its CommonJS build (bench bundles).
  it('has the letter processor load sharp by require, its CommonJS build, not by import', async () => {
    expect(sharpLoads(await bundle('process-letter'))).toEqual({ imports: false, requires: true });
  });

  it('finds zod where it should: in an API function', async () => {
    expect((await bundle('get-certificate')).outputFiles[0]!.text).toContain(ZOD);
  });

  // Each function's deps carry only the collaborators its use case calls: the AWS clients of the
  // others (and their cold start) stay out. The third column shows the bundle is the one meant.
  const SFN = 'lib/adapters/sfn-workflows.ts';
  const S3 = 'lib/adapters/aws/s3.ts';
  const PROBE = 'lib/adapters/network-domain-probe.ts';
  it.each([
    ['submit-reissue', ['lib/adapters/secrets-manager-ca-key-store.ts'], 'lib/adapters/kms-key-vault.ts'],
    ['reissue-issue', ['lib/adapters/kms-key-vault.ts', 'lib/adapters/csr-toolkit.ts'], 'lib/adapters/embedded-ca.ts'],
    ['reissue-private-key', [SFN, PROBE], 'lib/adapters/kms-key-vault.ts'],
    ['get-revocation', [SFN, S3], 'lib/adapters/dynamo-revocation-store.ts'],
    ['letter-template', [SFN, S3], 'lib/adapters/pdf-letter-template.ts'],
    ['list-reviews', [SFN, S3], 'lib/adapters/dynamo-revocation-store.ts'],
    ['get-review', [SFN, S3], 'lib/adapters/s3-presign.ts'],
    ['letter-upload', [S3], 'lib/adapters/s3-presign.ts'],
    ['decide-review', [S3], SFN],
    ['check-validation', [SFN], PROBE],
    ['revocation-check-validation', [SFN], PROBE],
    ['revocation-fail', [SFN, PROBE], 'lib/adapters/dynamo-revocation-store.ts'],
    ['reissue-fail', [SFN, PROBE], 'lib/adapters/dynamo-reissue-store.ts'],
    ['revocation-revoke', [SFN, PROBE], 'lib/adapters/embedded-ca.ts'],
  ])('%s bundles none of %j (but %s)', async (name, absent, present) => {
    const inputs = bundled(await bundle(name));
    expect(inputs.filter((file) => absent.some((part) => file.includes(part)))).toEqual([]);
    expect(inputs.some((file) => file.includes(present))).toBe(true);
  });

  // Our client (lib/adapters/aws) makes every AWS call: of the SDK only DynamoDB's marshalling
  // (@aws-sdk/util-dynamodb, ≈ 5 KB) is in a bundle, never a client, its middleware or Smithy.
  it.each(['get-certificate', 'submit-revocation', 'process-letter', 'submit-reissue', 'reissue-issue', 'publish-ca', 'run-sweep'])('%s bundles no AWS SDK client', async (name) => {
    const sdk = bundled(await bundle(name)).filter((file) => /node_modules\/(@aws-sdk|@smithy)\//.test(file));
    expect(sdk.filter((file) => !file.includes('node_modules/@aws-sdk/util-dynamodb/'))).toEqual([]);
    expect(sdk.length).toBeGreaterThan(0);
  });
});

describe('the letter processor, bundled with the options CDK gives it', () => {
  // Built as bench/bundles.ts builds every function for maxBundleKb: the same esbuild options,
  // the aliases of infra/constructs/function.ts included.
  const processor = functionsOfApp().find((fn) => fn.entry === LETTER_PROCESSOR_ENTRY)!;

  it("leaves pdf-lib's standard-font tables out (no function embeds a font with pdf-lib)", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'certrevoke-processor-'));
    try {
      // In the PDF check's worker bundle, the only one with pdf-lib.
      const result = await build({ ...workerEsbuildOptions(processor, processor.workers[0]!, dir), write: false, metafile: true });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.some((path) => path.includes('pdf-lib/cjs/core/parser/PDFParser.js'))).toBe(true);
      expect(inputs.filter((path) => path.includes('@pdf-lib/standard-fonts'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('parses PDFs in a worker bundle of its own: pdf-lib only there, the AWS clients and sharp only in the function', async () => {
    expect(processor.workers).toEqual([{ entry: 'lib/adapters/pdf-check.worker.ts', bundle: 'pdf-check.worker.mjs' }]);
    const dir = await mkdtemp(join(tmpdir(), 'certrevoke-processor-'));
    try {
      const main = await build({ ...esbuildOptions(processor, dir), write: false, metafile: true });
      const worker = await build({ ...workerEsbuildOptions(processor, processor.workers[0]!, dir), write: false, metafile: true });
      expect(bundled(main).filter((file) => file.includes('node_modules/pdf-lib/'))).toEqual([]);
      expect(bundled(worker).some((file) => file.includes('node_modules/pdf-lib/'))).toBe(true);
      expect(bundled(worker).filter((file) => file.includes('node_modules/@aws-sdk/') || file.includes('node_modules/@smithy/'))).toEqual([]);
      expect(sharpLoads(worker)).toEqual({ imports: false, requires: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("still checks a PDF in its worker thread, built beside the bundle by CDK's afterBundling hook, and an image with the sharp it requires, and fails loudly if anything asks the stand-in for a font", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'certrevoke-processor-'));
    try {
      // The inspector as the processor bundles it, and its PDF worker's bundle beside it as
      // CDK's hook builds it (bash, from the project root).
      const options = esbuildOptions(processor, dir);
      for (const command of processor.bundlingOptions.commandHooks!.afterBundling(PROJECT_ROOT, dir)) execFileSync('bash', ['-c', command], { cwd: PROJECT_ROOT, stdio: 'pipe' });
      expect(readdirSync(dir).sort()).toEqual(['pdf-check.worker.mjs', 'pdf-check.worker.mjs.map']);
      await build({
        ...options,
        entryPoints: undefined,
        stdin: {
          contents: `export { ContentLetterInspector } from './lib/adapters/content-letter-inspector.ts';\nexport { Font } from '@pdf-lib/standard-fonts';`,
          resolveDir: PROJECT_ROOT,
          loader: 'ts',
        },
      });
      await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
      const pdf = await PDFDocument.create();
      // Over the letters' 1,024-byte minimum.
      for (let page = 0; page < 8; page++) pdf.addPage().drawRectangle({ x: 40, y: 40, width: 200, height: 100 });
      await writeFile(join(dir, 'letter.pdf'), await pdf.save({ useObjectStreams: false }));
      // And an image, decoded by the sharp the bundle requires (its CommonJS build).
      await writeFile(join(dir, 'letter.png'), await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer());
      const script = `
        import { readFileSync } from 'node:fs';
        const { ContentLetterInspector, Font } = await import('./index.mjs');
        const inspector = new ContentLetterInspector();
        const verdict = await inspector.inspect(new Uint8Array(readFileSync('letter.pdf')), ['pdf']);
        const image = await inspector.inspect(new Uint8Array(readFileSync('letter.png')), ['png']);
        let font;
        try { Font.load('Helvetica'); } catch (error) { font = error.message; }
        console.log(JSON.stringify({ ok: verdict.ok, type: verdict.type, detail: verdict.detail, font, image }));
        process.exit(0);`;
      // A file, not `-e`: the worker thread inherits the process's flags, and `--input-type` fails it.
      await writeFile(join(dir, 'run.mjs'), script);
      const out = execFileSync(process.execPath, ['run.mjs'], { cwd: dir, encoding: 'utf8' });
      const result = JSON.parse(out) as { ok: boolean; type: string; detail?: string; font: string; image: unknown };
      expect(result).toMatchObject({ ok: true, type: 'pdf' });
      expect(result.image).toMatchObject({ ok: true, type: 'png', width: 64, height: 64 });
      expect(result.font).toMatch(/standard fonts are not bundled/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
