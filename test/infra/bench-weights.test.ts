import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { esbuildOptions, functionsOfApp } from '../../bench/bundles.js';
import { familyOf, packageOf, weightsOf } from '../../bench/weights.js';

type Inputs = Record<string, { bytes: number; imports: { path: string; kind: 'import-statement'; original?: string }[] }>;

/** A one-entry metafile: `inputs` with their imports, and the bytes each left in the bundle. */
function metafile(inputs: Record<string, string[]>, inOutput: Record<string, number>): Metafile {
  const all: Inputs = Object.fromEntries(Object.entries(inputs).map(([file, imports]) => [file, { bytes: 1, imports: imports.map((path) => ({ path, kind: 'import-statement' as const })) }]));
  const outputInputs = Object.fromEntries(Object.entries(inOutput).map(([file, bytesInOutput]) => [file, { bytesInOutput }]));
  return {
    inputs: all,
    outputs: {
      'out/index.mjs.map': { bytes: 9, inputs: {}, imports: [], exports: [] },
      'out/index.mjs': { bytes: 100, inputs: outputInputs, imports: [], exports: [], entryPoint: 'functions/f.ts' },
    },
  } as Metafile;
}

describe('bench weights: what each family of dependencies adds to a bundle', () => {
  it('names the package of a file, the innermost node_modules counting', () => {
    expect(packageOf('functions/f.ts')).toBeUndefined();
    expect(packageOf('node_modules/zod/v4/core/core.js')).toBe('zod');
    expect(packageOf('node_modules/@smithy/core/dist-es/index.js')).toBe('@smithy/core');
    expect(packageOf('node_modules/@aws-sdk/client-s3/node_modules/@smithy/core/x.js')).toBe('@smithy/core');
  });

  it('groups direct dependencies into families', () => {
    expect(['@aws-sdk/client-dynamodb', 'pdf-lib', 'tldts-icann', 'zod', '@aws-lambda-powertools/logger', '@middy/core'].map(familyOf)).toEqual([
      'AWS SDK',
      'pdf-lib',
      'tldts',
      'zod',
      'Powertools',
      'other',
    ]);
  });

  it("charges what a dependency brings in to its family, and what two families bring in to neither", () => {
    const meta = metafile(
      {
        'functions/f.ts': ['lib/a.ts', 'node_modules/@aws-sdk/client-dynamodb/index.js'],
        'lib/a.ts': ['node_modules/zod/index.js', 'node:crypto'],
        'node_modules/@aws-sdk/client-dynamodb/index.js': ['node_modules/@smithy/core/index.js', 'node_modules/tslib/tslib.es6.mjs'],
        'node_modules/@smithy/core/index.js': ['node_modules/@smithy/types/index.js'],
        'node_modules/@smithy/types/index.js': [],
        'node_modules/zod/index.js': ['node_modules/tslib/tslib.es6.mjs'],
        'node_modules/tslib/tslib.es6.mjs': [],
      },
      {
        'functions/f.ts': 5,
        'lib/a.ts': 7,
        'node_modules/@aws-sdk/client-dynamodb/index.js': 100,
        'node_modules/@smithy/core/index.js': 200,
        'node_modules/@smithy/types/index.js': 3,
        'node_modules/zod/index.js': 30,
        'node_modules/tslib/tslib.es6.mjs': 2,
      },
    );
    expect(weightsOf(meta)).toEqual({ ours: 12, 'AWS SDK': 303, 'pdf-lib': 0, tldts: 0, zod: 30, Powertools: 0, other: 0, shared: 2 });
  });

  it('refuses a build of more than one entry point rather than guess which bundle is meant', () => {
    const meta = metafile({}, {});
    meta.outputs['out/other.mjs'] = { bytes: 1, inputs: {}, imports: [], exports: [], entryPoint: 'functions/g.ts' };
    expect(() => weightsOf(meta)).toThrow(/one entry point; it has 2/);
  });

  it("finds tldts and, of the AWS SDK, only DynamoDB's marshalling in submit-reissue's bundle as CDK builds it, little left unattributed", async () => {
    const fn = functionsOfApp().find((f) => f.entry === 'functions/submit-reissue.ts')!;
    const result = await build({ ...esbuildOptions(fn, '/tmp/certrevoke-weights-test'), write: false, metafile: true });
    const weights = weightsOf(result.metafile);
    const kb = (n: number) => n / 1024;
    // @aws-sdk/util-dynamodb: the calls themselves are our client's (lib/adapters/aws).
    expect(kb(weights['AWS SDK'])).toBeGreaterThan(2);
    expect(kb(weights['AWS SDK'])).toBeLessThan(10);
    // The CA's X.509 is our own DER over node:crypto (lib/adapters/der.ts): no ASN.1 library.
    expect(weights['pdf-lib']).toBe(0);
    expect(kb(weights.tldts)).toBeGreaterThan(50);
    expect(kb(weights.ours)).toBeGreaterThan(10);
    expect(kb(weights.other + weights.shared)).toBeLessThan(20);
    const total = Object.values(weights).reduce((a, b) => a + b, 0);
    const bundle = Object.values(result.metafile.outputs).find((o) => o.entryPoint)!.bytes;
    // Everything but esbuild's own runtime helpers and the banner is some family's.
    expect(total / bundle).toBeGreaterThan(0.97);
  });
});
