/**
 * `npm run bench -- bundles [--runs N] [--json]`
 *
 * Builds every Lambda of the app with the esbuild options CDK is given for it (read from the
 * synthesized app's ServiceFunctions, bundling skipped), then measures:
 * - maxBundleKb: the largest minified `index.mjs`, or worker bundle beside it (source maps and
 *   the letter processor's native sharp, installed beside the bundle, not counted);
 * - maxInitMs: the largest module-load time of a bundle in a fresh `node` process, median of N
 *   (default 5) — `import()` of the bundle, timed inside the process, in a Lambda-like
 *   environment (tracing on), so Node's own start is not counted;
 * and, per bundle, the KB each family of code brought in (bench/weights.ts): ours, the AWS SDK,
 * pdf-lib, tldts, zod, Powertools and the rest.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { App } from 'aws-cdk-lib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { buildApp } from '../infra/app.js';
import { esbuildOptionsOf, FUNCTION_ENVIRONMENT, PROJECT_ROOT, ServiceFunction, type WorkerBundle } from '../infra/constructs/function.js';
import { formatInt, median, progress, status, table, UsageError, emitJson } from './cli.js';
import { FAMILIES, weightsOf, type Family, type Weights } from './weights.js';

export const BUNDLE_GOALS = { maxBundleKb: 250, maxInitMs: 80 };

export interface BundleFigure {
  entry: string;
  kb: number;
  /** KB of the bundle per family of dependencies (bench/weights.ts). */
  weightsKb: Weights;
  initMs: { min: number; median: number; max: number };
}

export interface BundleResults {
  maxBundleKb: number;
  maxInitMs: number;
  functions: BundleFigure[];
}

/** The app's functions, one per entry, with what CDK tells esbuild for each. */
export function functionsOfApp(): ServiceFunction[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const { stack } = buildApp(app);
  const byEntry = new Map<string, ServiceFunction>();
  for (const c of stack.node.findAll()) if (c instanceof ServiceFunction) byEntry.set(c.entry, c);
  return [...byEntry.values()].sort((a, b) => a.entry.localeCompare(b.entry));
}

/** CDK's BundlingOptions, as the esbuild call NodejsFunction makes of them: its `index.mjs`. */
export function esbuildOptions(fn: ServiceFunction, outdir: string): BuildOptions {
  return { ...esbuildOptionsOf(fn.bundlingOptions, fn.entry, join(outdir, 'index.mjs')), logLevel: 'silent' };
}

/** One of the function's worker bundles, as its afterBundling hook builds it into `outdir`. */
export function workerEsbuildOptions(fn: ServiceFunction, worker: WorkerBundle, outdir: string): BuildOptions {
  return { ...esbuildOptionsOf(fn.bundlingOptions, worker.entry, join(outdir, worker.bundle)), logLevel: 'silent' };
}

/** The function's worker bundles, into `outdir`; the metafile of each. */
export async function buildWorkers(fn: ServiceFunction, outdir: string): Promise<Metafile[]> {
  const metafiles: Metafile[] = [];
  for (const worker of fn.workers) metafiles.push((await build({ ...workerEsbuildOptions(fn, worker, outdir), metafile: true })).metafile);
  return metafiles;
}

/**
 * The function's asset as CDK builds it: `index.mjs`, then its worker bundles beside it (the
 * afterBundling hooks); the metafile of each, in that order.
 */
export async function buildFunction(fn: ServiceFunction, outdir: string): Promise<Metafile[]> {
  const main = await build({ ...esbuildOptions(fn, outdir), metafile: true });
  return [main.metafile, ...(await buildWorkers(fn, outdir))];
}

/** Module-load time of `file` in a fresh node, ms, measured inside the process. */
function initMs(file: string, name: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); process.stdout.write(String(performance.now() - t));`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    // Lambda-like: what the function sees at init (tracing on, the stack's common environment),
    // and no config it would need later.
    env: {
      ...FUNCTION_ENVIRONMENT,
      PATH: process.env.PATH,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: 'eu-west-1',
      LAMBDA_TASK_ROOT: '/var/task',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`${name}: loading the bundle failed:\n${result.stderr}`);
  return Number(result.stdout);
}

/** A file a thread loads: a function's bundle or a worker bundle beside it. */
interface LoadedFile {
  entry: string;
  fn: ServiceFunction;
  path: string;
  metafile: Metafile;
}

/**
 * Builds every bundle first, then loads them round-robin, one sample of each per round: this
 * machine's speed drifts by a third within minutes, and five samples in a row would pin a slow
 * spell on the few functions loaded during it.
 */
export async function measureBundles(runs: number, functions = functionsOfApp()): Promise<BundleResults> {
  const dir = mkdtempSync(join(tmpdir(), 'certrevoke-bundles-'));
  try {
    const building = progress('building', functions.length);
    const files: LoadedFile[] = [];
    for (const [i, fn] of functions.entries()) {
      const outdir = join(dir, String(i));
      const metafiles = await buildFunction(fn, outdir);
      // Packages left out of the bundle (sharp) are installed beside it in Lambda; here, the project's.
      if (fn.bundlingOptions.nodeModules?.length) symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(outdir, 'node_modules'), 'dir');
      files.push({ entry: fn.entry, fn, path: join(outdir, 'index.mjs'), metafile: metafiles[0]! });
      fn.workers.forEach((w, k) => files.push({ entry: `${fn.entry} → ${w.bundle}`, fn, path: join(outdir, w.bundle), metafile: metafiles[k + 1]! }));
      building.update(i + 1);
    }
    building.finish();
    const loading = progress('loading', runs * files.length);
    const samples = files.map((): number[] => []);
    for (let round = 0; round < runs; round++) {
      files.forEach((file, k) => {
        samples[k]!.push(initMs(file.path, file.fn.entry));
        loading.update(round * files.length + k + 1);
      });
    }
    loading.finish();
    const figures = files.map(({ entry, path, metafile }, k): BundleFigure => {
      const weights = weightsOf(metafile);
      const weightsKb = Object.fromEntries(FAMILIES.map((f) => [f, weights[f] / 1024])) as Weights;
      const s = samples[k]!;
      return { entry, kb: statSync(path).size / 1024, weightsKb, initMs: { min: Math.min(...s), median: median(s), max: Math.max(...s) } };
    });
    return { maxBundleKb: Math.max(...figures.map((f) => f.kb)), maxInitMs: Math.max(...figures.map((f) => f.initMs.median)), functions: figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function bundleTable(r: BundleResults): string {
  const rows = [['function', 'KB', ...FAMILIES, 'init min', 'init median', 'init max']];
  for (const f of [...r.functions].sort((a, b) => b.kb - a.kb)) {
    rows.push([f.entry, f.kb.toFixed(1), ...FAMILIES.map((family) => f.weightsKb[family].toFixed(1)), f.initMs.min.toFixed(1), f.initMs.median.toFixed(1), f.initMs.max.toFixed(1)]);
  }
  return `${table(rows)}\n\n${familySummary(r.functions)}`;
}

/** Per family, its KB over the bundles that have it: what dropping or replacing it would take off. */
function familySummary(figures: BundleFigure[]): string {
  const lines = FAMILIES.filter((f) => f !== 'shared').flatMap((family: Family) => {
    const kb = figures.map((f) => f.weightsKb[family]).filter((v) => v > 0);
    if (kb.length === 0) return [];
    return [`  ${family}: ${Math.min(...kb).toFixed(0)}–${Math.max(...kb).toFixed(0)} KB, in ${kb.length} of ${figures.length} bundles`];
  });
  return `KB per family of code (the columns: what each direct dependency brought in, bench/weights.ts):\n${lines.join('\n')}`;
}

/** The section on its own. */
export async function bundlesBench(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a whole number ≥ 1; got ${values.runs}`);
  status(`building ${formatInt(functionsOfApp().length)} function bundles as CDK does, loading each ${runs}× in a fresh node`);
  const r = await measureBundles(runs);
  if (values.json) emitJson(r);
  else console.log(`${bundleTable(r)}\n\nmaxBundleKb ${r.maxBundleKb.toFixed(1)} (goal ≤ ${BUNDLE_GOALS.maxBundleKb}), maxInitMs ${r.maxInitMs.toFixed(1)} (goal ≤ ${BUNDLE_GOALS.maxInitMs})`);
  return r.maxBundleKb <= BUNDLE_GOALS.maxBundleKb && r.maxInitMs <= BUNDLE_GOALS.maxInitMs ? 0 : 1;
}
