/**
 * `npm run bench` runs every section, prints the table of budgets and writes bench/results.json;
 * `npm run bench -- <section>` runs one. Exit codes: 0 all budgets met, 1 a budget missed or the
 * run broke, 2 a bad command line.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiResults } from './api.js';
import type { BundleResults } from './bundles.js';
import { formatMs, status, table, UsageError } from './cli.js';
import type { LetterResults } from './letters.js';
import type { SweepBenchResult } from './sweep.js';
import type { WorkflowResults } from './workflows.js';

interface Section {
  summary: string;
  usage: string;
  run: (args: string[]) => Promise<number>;
}

const SECTIONS: Record<string, Section> = {
  workflows: {
    summary: 'one revocation per route end to end: state transitions, invocations, DynamoDB and S3 requests, cost per 1,000',
    usage: 'workflows [--requests N] [--json]',
    run: async (args) => (await import('./workflows.js')).workflowsBench(args),
  },
  letters: {
    summary: 'the letter processor on 1.4 MiB files against raw sharp / pdf-lib, and its peak RSS',
    usage: 'letters [--runs N] [--json]',
    run: async (args) => (await import('./letters.js')).lettersBench(args),
  },
  api: {
    summary: 'the local runtime under load: gateway read throughput vs raw GetItem, DynamoDB round trips, latencies',
    usage: 'api [--seconds N] [--connections N] [--runs N] [--json]',
    run: async (args) => (await import('./api.js')).apiBench(args),
  },
  bundles: {
    summary: 'every function bundle as CDK builds it: size, and module-load time in a fresh node',
    usage: 'bundles [--runs N] [--json]',
    run: async (args) => (await import('./bundles.js')).bundlesBench(args),
  },
  sweep: {
    summary: 'expiry sweep on DynamoDB Local: index-driven find vs a full Scan, then the real sweep',
    usage: 'sweep [--count N] [--load-concurrency N] [--scan-runs 1-3] [--json]',
    run: async (args) => (await import('./sweep.js')).sweepBench(args),
  },
};

interface Figure {
  key: string;
  what: string;
  budget: string;
  value: number;
  pass: boolean;
}

/**
 * Every section in turn (about 6–9 minutes on 2 cores, most of it the sweep's 100,000
 * certificates and its Scan), then the table of budgets and bench/results.json.
 */
async function runAll(): Promise<number> {
  const started = performance.now();
  const { BUNDLE_GOALS, bundleTable } = await import('./bundles.js');
  const { API_GOALS, apiTable } = await import('./api.js');
  const { LETTER_GOALS, letterTable } = await import('./letters.js');
  const { WORKFLOW_GOALS, workflowTable } = await import('./workflows.js');

  // Each section in a process of its own: the API and workflow sections each start a local
  // runtime, whose clients (built once per process) must not outlive it.
  status('1/5 function bundles');
  const bundles = (await section('bundles', ['--runs', '5'])) as BundleResults;
  status('2/5 the API under load');
  const api = (await section('api', ['--seconds', '5', '--connections', '16', '--runs', '3'])) as ApiResults;
  status('3/5 letter checks');
  const letters = (await section('letters', ['--runs', '40'])) as LetterResults;
  status('4/5 workflows per route');
  const workflows = (await section('workflows', ['--requests', '3'])) as WorkflowResults;
  status('5/5 the expiry sweep (100,000 certificates; one full Scan)');
  const sweep = (await section('sweep', ['--scan-runs', '1'])) as SweepBenchResult;

  const at = (max: number) => (value: number) => value <= max;
  const least = (min: number) => (value: number) => value >= min;
  const rows: [string, string, string, number, (v: number) => boolean][] = [
    ['apiReadRatio', 'GET /certificates/{id} via the gateway ÷ raw GetItem throughput', `≥ ${API_GOALS.apiReadRatio}`, api.apiReadRatio, least(API_GOALS.apiReadRatio)],
    ['roundTripsRead', 'DynamoDB calls per GET /certificates/{id}', `≤ ${API_GOALS.roundTripsRead}`, api.roundTripsRead, at(API_GOALS.roundTripsRead)],
    ['roundTripsWrite', 'DynamoDB calls per revocation submission', `≤ ${API_GOALS.roundTripsWrite}`, api.roundTripsWrite, at(API_GOALS.roundTripsWrite)],
    ['maxBundleKb', 'largest minified function bundle', `≤ ${BUNDLE_GOALS.maxBundleKb}`, bundles.maxBundleKb, at(BUNDLE_GOALS.maxBundleKb)],
    ['maxInitMs', 'largest module-load time of a bundle (median of 5)', `≤ ${BUNDLE_GOALS.maxInitMs}`, bundles.maxInitMs, at(BUNDLE_GOALS.maxInitMs)],
    ['letterJpegRatio', 'processor on a 1.4 MiB JPEG ÷ raw sharp decode + thumbnail', `≤ ${LETTER_GOALS.letterJpegRatio}`, letters.letterJpegRatio, at(LETTER_GOALS.letterJpegRatio)],
    ['letterPdfRatio', 'processor on a 1.4 MiB PDF ÷ raw PDFDocument.load', `≤ ${LETTER_GOALS.letterPdfRatio}`, letters.letterPdfRatio, at(LETTER_GOALS.letterPdfRatio)],
    ['sweepReadRatio', 'items read by a sweep ÷ due items (100k, 1% due)', `≤ ${sweep.goals.sweepReadRatio.goal.replace(/^≤ /, '')}`, sweep.goals.sweepReadRatio.value, () => sweep.goals.sweepReadRatio.pass],
    ['sweepSpeedupVsScan', 'Scan-based find ÷ our sweep\'s find, same data', `≥ ${sweep.goals.sweepSpeedupVsScan.goal.replace(/^≥ /, '')}`, sweep.goals.sweepSpeedupVsScan.value, () => sweep.goals.sweepSpeedupVsScan.pass],
    ['sfnTransitionsReviewRoute', 'state transitions of one review-route revocation', `≤ ${WORKFLOW_GOALS.sfnTransitionsReviewRoute}`, workflows.sfnTransitionsReviewRoute, at(WORKFLOW_GOALS.sfnTransitionsReviewRoute)],
  ];
  const figures: Figure[] = rows.map(([key, what, budget, value, ok]) => ({ key, what, budget, value, pass: ok(value) }));

  const number = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(2));
  console.log(`\ncertrevoke bench — ${new Date().toISOString()}, Node ${process.version}, ${formatMs(performance.now() - started)}\n`);
  console.log(table([['key', 'value', 'budget', '', 'what'], ...figures.map((f) => [f.key, number(f.value), f.budget, f.pass ? 'ok' : 'MISSED', f.what])], (c) => c === 1));
  console.log(`\nbundles (KB, and of it per family of code; module-load ms min / median / max):\n${bundleTable(bundles)}`);
  console.log(`\nAPI:\n${apiTable(api)}`);
  console.log(`\nletters:\n${letterTable(letters)}`);
  console.log(`\nworkflows per route (cost estimate per 1,000 revocations):\n${workflowTable(workflows)}`);

  const results = {
    ...Object.fromEntries(figures.map((f) => [f.key, f.value])),
    budgets: Object.fromEntries(figures.map((f) => [f.key, { budget: f.budget, pass: f.pass }])),
    details: { bundles, api, letters, workflows, sweep },
    machine: { node: process.version, cpus: (await import('node:os')).cpus().length, at: new Date().toISOString(), durationMs: Math.round(performance.now() - started) },
  };
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  status(`wrote ${RESULTS}`);
  const missed = figures.filter((f) => !f.pass);
  if (missed.length) console.log(`\n${missed.length} budget(s) missed: ${missed.map((f) => f.key).join(', ')}`);
  return missed.length ? 1 : 0;
}

const RESULTS = new URL('./results.json', import.meta.url);

/** Runs `npm run bench -- <name> <args> --json` in a child process: its JSON result (a missed goal is not an error here). */
async function section(name: string, args: string[]): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), 'certrevoke-bench-'));
  const file = join(dir, `${name}.json`);
  try {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), name, ...args, '--json'], {
        env: { ...process.env, BENCH_RESULT_FILE: file, POWERTOOLS_LOG_LEVEL: 'ERROR' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child.once('exit', resolve);
    });
    if (code !== 0 && code !== 1) throw new Error(`bench ${name} failed (exit ${code})`);
    return JSON.parse(await readFile(file, 'utf8'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function usage(): string {
  const lines = ['usage: npm run bench [-- <section> [options]]', '', 'without a section: every section, the table of budgets, and bench/results.json', '', 'sections:'];
  for (const s of Object.values(SECTIONS)) lines.push(`  ${s.usage}`, `      ${s.summary}`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) return runAll();
  if (name === '--help' || name === '-h') {
    console.log(usage());
    return 0;
  }
  const section = Object.hasOwn(SECTIONS, name) ? SECTIONS[name] : undefined;
  if (!section) {
    console.error(`bench: unknown section "${name}" (known: ${Object.keys(SECTIONS).join(', ')}).\n\n${usage()}`);
    return 2;
  }
  try {
    return await section.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`bench ${name}: ${error.message}\n\n${usage()}`);
      return 2;
    }
    console.error(`bench ${name} failed:`, error);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
