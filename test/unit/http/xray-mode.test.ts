import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Whether loading the tracer leaves the X-Ray SDK's promise hook (cls-hooked's namespace) in the
 * process: only where it traces. Each case is a fresh node, as the SDK decides once, at load.
 */
const TRACER = fileURLToPath(new URL('../../../lib/http/tracer.ts', import.meta.url));
/** Loads the tracer, then tells whether the SDK made its namespace (and so its hook), and the mode. */
const probe = (load: string, answer: string): string => `
  ${load};
  const { createRequire } = await import('node:module');
  const require = createRequire(${JSON.stringify(TRACER)});
  const cls = require(require.resolve('cls-hooked/context', { paths: [require.resolve('aws-xray-sdk-core')] }));
  ${answer}(JSON.stringify({ hooked: Boolean(cls.getNamespace('AWSXRay')), manual: process.env.AWS_XRAY_MANUAL_MODE ?? null }));
`;
const IN_MAIN = probe(`await import(${JSON.stringify(TRACER)})`, 'process.stdout.write');
/** The same in a worker thread of that node, loading the tracer through tsx as the PDF check's worker does. */
const IN_WORKER = `
  const { Worker } = await import('node:worker_threads');
  const code = ${JSON.stringify(probe(`await (await import('tsx/esm/api')).tsImport(${JSON.stringify(TRACER)}, import.meta.url)`, '(await import("node:worker_threads")).parentPort.postMessage'))};
  const worker = new Worker(code, { eval: true, type: 'module' });
  worker.on('message', (m) => { process.stdout.write(m); process.exit(0); });
  worker.on('error', (e) => { console.error(e); process.exit(1); });
`;

function loadTracer(env: Record<string, string>, where: 'main' | 'worker' = 'main'): { hooked: boolean; manual: string | null } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|POWERTOOLS_|LAMBDA_|_X_AMZN)/.test(k)));
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', where === 'main' ? IN_MAIN : IN_WORKER], { env: { ...base, ...env }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as { hooked: boolean; manual: string | null };
}

describe('the X-Ray SDK mode', () => {
  it('hooks promises for trace context in Lambda with tracing on', () => {
    expect(loadTracer({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' })).toEqual({ hooked: true, manual: null });
  });

  it('leaves promises alone where nothing is traced: outside Lambda, or with tracing turned off', () => {
    expect(loadTracer({})).toEqual({ hooked: false, manual: 'true' });
    expect(loadTracer({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', POWERTOOLS_TRACE_ENABLED: 'false' })).toEqual({ hooked: false, manual: 'true' });
  });

  it('leaves promises alone in a worker thread of a traced Lambda (the PDF check), which never traces', () => {
    expect(loadTracer({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' }, 'worker')).toEqual({ hooked: false, manual: 'true' });
  });
});
