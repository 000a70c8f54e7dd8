import { isMainThread } from 'node:worker_threads';

/**
 * aws-xray-sdk-core hooks every promise of the process as soon as it is loaded (cls-hooked's
 * async hook, with destroy tracking) unless AWS_XRAY_MANUAL_MODE is set (aws-xray-sdk-node#420).
 * Where the tracer is off — outside Lambda, or turned off — nothing reads that context, yet the
 * local runtime spent about a tenth of its CPU on it; nor in a worker thread (the PDF check's
 * loads the whole bundle), which never traces and whose pdf-lib parse is all promises. Imported
 * by tracer.ts before the tracer, so it runs first; in a traced Lambda's main thread it changes
 * nothing. A worker has its own copy of the environment, so this is decided per thread.
 */
const env = process.env;
const tracing = isMainThread && Boolean(env.AWS_EXECUTION_ENV) && env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false' && !env.AWS_SAM_LOCAL;
if (!tracing) env.AWS_XRAY_MANUAL_MODE ??= 'true';
