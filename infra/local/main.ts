import { parseArgs } from 'node:util';
import { startLocalRuntime, type LocalRuntime } from './runtime.js';

/** `npm start`: the whole service on http://127.0.0.1:3000 with demo data and a token per role. */
// An unknown or malformed flag is a usage error (exit 2), not a crash.
const { values } = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: process.env.PORT ?? '3000' },
        data: { type: 'string', default: process.env.CERTREVOKE_DATA ?? '.data' },
        'in-memory': { type: 'boolean', default: false },
        'no-seed': { type: 'boolean', default: false },
        'time-scale': { type: 'string', default: process.env.TIME_SCALE ?? '1' },
        'sweep-every': { type: 'string', default: process.env.SWEEP_EVERY_SECONDS ?? '3600' },
      },
    });
  } catch (error) {
    console.error(`[certrevoke] ${(error as Error).message}`);
    console.error('Usage: npm start -- [--port N] [--data DIR] [--in-memory] [--no-seed] [--time-scale X] [--sweep-every SECONDS]');
    process.exit(2);
  }
})();

const log = (line: string) => console.log(`[certrevoke] ${line}`);

function positive(flag: 'time-scale' | 'sweep-every'): number {
  const value = Number(values[flag]);
  if (!(value > 0) || !Number.isFinite(value)) {
    console.error(`[certrevoke] --${flag} must be a positive number; got ${values[flag]}.`);
    process.exit(2);
  }
  return value;
}
const timeScale = positive('time-scale');
const sweepEverySeconds = positive('sweep-every');

// Ctrl-C is heard from the first moment: during the start it stops everything once the start
// has finished (a few seconds), rather than killing this process with the emulators half up
// and its lock file and temporary folder left behind; a second one quits at once.
let runtime: LocalRuntime | undefined;
let stopAfterStart: string | undefined;
let stopping = false;
const shutdown = (signal: string) => {
  if (!runtime) {
    if (stopAfterStart) process.exit(130);
    stopAfterStart = signal;
    log(`${signal}: stopping as soon as the start has finished (again to quit at once) …`);
    return;
  }
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping …`);
  runtime.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

try {
  runtime = await startLocalRuntime({
    port: Number(values.port),
    dataDir: values.data,
    inMemory: values['in-memory'],
    seed: !values['no-seed'],
    timeScale,
    sweepEverySeconds,
    log,
  });
} catch (error) {
  console.error(`[certrevoke] could not start: ${(error as Error).message}`);
  process.exit(1);
}
if (stopAfterStart) shutdown(stopAfterStart);
else {
  console.log(`\ncertrevoke is running at ${runtime.url}   (Ctrl-C stops everything)\n`);
  console.log(`  console  ${runtime.url}/   (sign in as a demo user, or paste a token below)`);
  console.log(`  health   ${runtime.url}/health\n  openapi  ${runtime.url}/openapi.json\n  CA       ${runtime.url}/ca.pem\n`);
  console.log('Tokens (valid 12 h; mint more with POST /local/token {"sub","account","roles"}):');
  for (const t of runtime.tokens) console.log(`\n  ${t.role} — sub=${t.sub} account=${t.account}\n  ${t.token}`);
  console.log(`\nTry:  curl -H "Authorization: Bearer <customer token>" ${runtime.url}/certificates\n`);
}
