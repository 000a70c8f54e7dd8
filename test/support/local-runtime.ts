import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterEach } from 'vitest';
import { freePort } from '../../infra/local/dynamodb-local.js';

export interface RuntimeProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
  stop: () => Promise<number | null>;
}

/**
 * Starts `infra/local/main.ts` (what `npm start` runs) as a child process and waits until it
 * serves (or until its output shows `waitFor`).
 */
export async function startRuntimeProcess(args: string[], timeoutMs = 60_000, env: Record<string, string> = {}, { waitFor = 'certrevoke is running at' } = {}): Promise<RuntimeProcess> {
  // The free port is only free when asked: another test's process may take it before the
  // runtime does (which it does first of all), and then a new one is picked.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnFreePort(args, timeoutMs, env, waitFor);
    } catch (error) {
      if (attempt === 3 || !/Port \d+ is in use/.test((error as Error).message)) throw error;
    }
  }
}

async function startOnFreePort(args: string[], timeoutMs: number, env: Record<string, string>, waitFor: string): Promise<RuntimeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts', '--port', String(port), ...args], {
    env: { ...process.env, PORT: undefined, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runtime did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      if (out.includes(waitFor)) {
        clearTimeout(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearTimeout(timer);
        reject(new Error(`runtime exited with ${child.exitCode}:\n${out}`));
      } else setTimeout(check, 100);
    };
    check();
  });
  return {
    url,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/**
 * After a failed test, prints the end of the runtime's own output (its error logs: a processor
 * failure, a dead-lettered event), which the failed assertion alone does not show.
 */
export function showOutputOnFailure(runtime: () => RuntimeProcess | undefined, tailChars = 6000): void {
  afterEach(({ task }) => {
    const rt = runtime();
    if (task.result?.state === 'fail' && rt) console.error(`runtime output (last ${tailChars} characters):\n${rt.output().slice(-tailChars)}`);
  });
}

/** Runs the entry point to completion (for runs expected to fail fast). */
export function runToExit(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

export async function mintToken(url: string, sub: string, account: string, roles: string[]): Promise<string> {
  const res = await fetch(`${url}/local/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub, account, roles }) });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Polls `read` until `done` holds or the deadline passes (asynchronous outcomes, e.g. workflows). */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** One JSON request to the runtime: status, parsed body (or `{ text }`), and the raw text. */
export async function apiCall(url: string, method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = text ? (JSON.parse(text) as Json) : {};
  } catch {
    json = { text };
  }
  return { status: res.status, body: json, text };
}

/**
 * A real multipart POST of a letter to its presigned slot, as a browser form sends it (the
 * file last); with `contentType`, the form also declares it, as the console does.
 */
export async function uploadToSlot(slot: Json, bytes: Uint8Array, filename: string, contentType?: string): Promise<number> {
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.fields as Record<string, string>)) form.append(name, value);
  if (contentType) form.append('Content-Type', contentType);
  form.append('file', new Blob([bytes], contentType ? { type: contentType } : {}), filename);
  return (await fetch(slot.url as string, { method: 'POST', body: form })).status;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The body of POST /admin/certificates for a platform certificate of `account`: GeoTrust DV,
 * manual DNS (route domain_validation), issued 10 days ago, valid a year, on a unique domain
 * unless `overrides` say otherwise.
 */
export function registrationBody(account: string, overrides: Json = {}): Json {
  const now = Date.now();
  return {
    account,
    domain: `${overrides.wildcard === true ? '*.' : ''}c${randomUUID().slice(0, 12)}.example.com`,
    source: 'platform',
    brand: 'GeoTrust',
    algorithm: 'international',
    productType: 'DV',
    domainValidation: 'dns',
    issuedAt: new Date(now - 10 * DAY_MS).toISOString(),
    notAfter: new Date(now + 365 * DAY_MS).toISOString(),
    ...overrides,
  };
}
