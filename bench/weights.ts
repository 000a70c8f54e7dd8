/**
 * What a bundle's bytes are made of: each input file of esbuild's metafile is put down to the
 * direct dependency (package.json) that brought it in, and direct dependencies are grouped into
 * families. A package reached from two families (tslib, say) is "shared", so no family is
 * charged for another's weight. This says what a dependency decision would buy, and keeps a
 * regression in our own code visible beside the libraries' weight.
 */
import type { Metafile } from 'esbuild';

/** The families, in the order the bench prints them; `ours` is everything outside node_modules. */
export const FAMILIES = ['ours', 'AWS SDK', 'pdf-lib', 'tldts', 'zod', 'Powertools', 'other', 'shared'] as const;
export type Family = (typeof FAMILIES)[number];
export type Weights = Record<Family, number>;

/** The family of a direct dependency. */
export function familyOf(pkg: string): Family {
  if (pkg.startsWith('@aws-sdk/')) return 'AWS SDK';
  if (pkg === 'pdf-lib' || pkg.startsWith('@pdf-lib/')) return 'pdf-lib';
  if (pkg.startsWith('tldts')) return 'tldts';
  if (pkg === 'zod') return 'zod';
  if (pkg.startsWith('@aws-lambda-powertools/')) return 'Powertools';
  return 'other';
}

/** The package a metafile input belongs to (the innermost node_modules), or undefined for ours. */
export function packageOf(input: string): string | undefined {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const [scope, name] = input.slice(at + 'node_modules/'.length).split('/');
  return scope?.startsWith('@') ? `${scope}/${name}` : scope;
}

/**
 * Bytes of a one-entry build's bundle per family. A file imported by our code is charged to its
 * package's family; what it imports in turn inherits that family, and a file reached from two
 * families is shared.
 */
export function weightsOf(metafile: Metafile): Weights {
  const bundles = Object.values(metafile.outputs).filter((o) => o.entryPoint !== undefined);
  if (bundles.length !== 1) throw new Error(`expected a build of one entry point; it has ${bundles.length}`);
  const out = bundles[0]!;
  const families = new Map<string, Set<Family>>();
  const queue: string[] = [];
  const reach = (file: string, family: Family) => {
    const seen = families.get(file) ?? new Set<Family>();
    if (seen.has(family)) return;
    seen.add(family);
    families.set(file, seen);
    queue.push(file);
  };
  for (const [file, input] of Object.entries(metafile.inputs)) {
    if (packageOf(file) !== undefined) continue;
    for (const { path } of input.imports) {
      const pkg = packageOf(path);
      if (pkg !== undefined && metafile.inputs[path]) reach(path, familyOf(pkg));
    }
  }
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const family of families.get(file)!) {
      for (const { path } of metafile.inputs[file]!.imports) if (packageOf(path) !== undefined && metafile.inputs[path]) reach(path, family);
    }
  }
  const weights = Object.fromEntries(FAMILIES.map((f) => [f, 0])) as Weights;
  for (const [file, { bytesInOutput }] of Object.entries(out.inputs)) {
    const reached = families.get(file);
    const family: Family = packageOf(file) === undefined ? 'ours' : !reached ? 'other' : reached.size === 1 ? [...reached][0]! : 'shared';
    weights[family] += bytesInOutput;
  }
  return weights;
}
