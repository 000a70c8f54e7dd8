/**
 * `npm run bench` prints the planned metrics and which are measured; `npm run bench -- <section>`
 * runs one section (`sweep` so far). Exit codes: 0 all goals met, 1 a goal failed or the run
 * broke, 2 a bad command line.
 */
import { UsageError } from './cli.js';

interface Section {
  summary: string;
  usage: string;
  run: (args: string[]) => Promise<number>;
}

const SECTIONS: Record<string, Section> = {
  sweep: {
    summary: 'expiry sweep on DynamoDB Local: index-driven find vs a full Scan, then the real sweep',
    usage: 'sweep [--count N] [--load-concurrency N] [--json]',
    run: async (args) => (await import('./sweep.js')).sweepBench(args),
  },
};

const PLANNED: { key: string; what: string; budget: string; section?: keyof typeof SECTIONS }[] = [
  { key: 'apiReadRatio', what: 'GET /certificates/{id} through the local gateway ÷ raw GetItem throughput', budget: '≥ 0.7' },
  { key: 'roundTripsRead', what: 'DynamoDB calls per GET /certificates/{id}', budget: '≤ 1' },
  { key: 'roundTripsWrite', what: 'DynamoDB calls per revocation submission', budget: '≤ 2' },
  { key: 'maxBundleKb', what: 'largest minified function bundle', budget: '≤ 250' },
  { key: 'maxInitMs', what: 'largest module-load time of a bundle (median of 5)', budget: '≤ 80' },
  { key: 'letterJpegRatio', what: 'processor time for a 1.4 MiB JPEG ÷ raw sharp decode + thumbnail', budget: '≤ 1.3' },
  { key: 'letterPdfRatio', what: 'processor time for a 1.4 MiB PDF ÷ raw PDFDocument.load', budget: '≤ 1.3' },
  { key: 'sweepReadRatio', what: 'items read by a sweep ÷ due items (100k certificates, 1% due)', budget: '≤ 1.05', section: 'sweep' },
  { key: 'sweepSpeedupVsScan', what: 'Scan-based find time ÷ index-driven find time (same data, median of 3)', budget: '≥ 10', section: 'sweep' },
  { key: 'sfnTransitionsReviewRoute', what: 'state transitions of one review-route revocation', budget: '≤ 8' },
];

function usage(): string {
  const lines = ['usage: npm run bench [-- <section> [options]]', '', 'sections:'];
  for (const s of Object.values(SECTIONS)) lines.push(`  ${s.usage}`, `      ${s.summary}`);
  return lines.join('\n');
}

function printPlan(): void {
  console.log('certrevoke bench — planned metrics:\n');
  const width = Math.max(...PLANNED.map((m) => m.key.length));
  const statusWidth = Math.max(...PLANNED.map((m) => planStatus(m.section).length));
  for (const m of PLANNED) console.log(`  ${m.key.padEnd(width)}  ${m.budget.padEnd(6)}  ${planStatus(m.section).padEnd(statusWidth)}  ${m.what}`);
  console.log(`\nNo measurements were taken. Run a section to measure it:\n\n${usage()}`);
}

function planStatus(section: string | undefined): string {
  return section ? `npm run bench -- ${section}` : 'not measured yet';
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    printPlan();
    return 0;
  }
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
