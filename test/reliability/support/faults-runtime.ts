import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { localDynamoClient } from '../../../infra/local/dynamodb-local.js';
import { keys } from '../../../lib/adapters/dynamo-items.js';
import { TABLE_NAME } from '../../../infra/local/runtime.js';
import { apiCall, startRuntimeProcess, type Json, type RuntimeProcess } from '../../support/local-runtime.js';

/**
 * Helpers of the fault suite: runtimes started the way an operator would (`--data`, DEBUG logs,
 * optional CERTREVOKE_FAULTS), their process tree as `ps` sees it, what their DynamoDB Local
 * holds, and a record of everything that left the service (replies and log lines) so the suite
 * can prove no secret is in it.
 */

export interface FaultRuntimeOptions {
  dataDir: string;
  timeScale: number;
  /** CERTREVOKE_FAULTS for this run (see infra/local/workflows.ts TaskFaults). */
  faults?: string;
}

/** Every reply body and header and every log line seen during the suite. */
export class Exposure {
  private readonly replies: string[] = [];
  private readonly runtimes: RuntimeProcess[] = [];

  /** A runtime whose stdout and stderr are kept: DEBUG logs, as verbose as the service gets. */
  async start(options: FaultRuntimeOptions): Promise<RuntimeProcess> {
    const rt = await startRuntimeProcess(['--data', options.dataDir, '--no-seed', '--time-scale', String(options.timeScale)], 90_000, {
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      // 30 s of service time between domain checks: a few per second of real time at these scales.
      VALIDATION_POLL_SECONDS: '30',
      // This suite polls hard; a per-account limit on the local gateway is not what it tests.
      RATE_LIMIT_PER_SECOND: '10000',
      RATE_LIMIT_BURST: '10000',
      ...(options.faults ? { CERTREVOKE_FAULTS: options.faults } : {}),
    });
    this.runtimes.push(rt);
    return rt;
  }

  /** One API call, its reply (status line, headers, body) kept for the leak check. */
  async call(url: string, method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) {
    const reply = await apiCall(url, method, path, token, body, headers);
    this.replies.push(`${method} ${path} ${reply.status}\n${reply.text}`);
    return reply;
  }

  /** A raw fetch (binary replies such as the CRL), headers and body kept. */
  async fetch(url: string, init?: RequestInit): Promise<Response> {
    const res = await fetch(url, init);
    const body = Buffer.from(await res.clone().arrayBuffer());
    this.replies.push(`${init?.method ?? 'GET'} ${url} ${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${body.toString('latin1')}`);
    return res;
  }

  /** Everything collected so far: replies first, then each runtime's whole output. */
  text(): string {
    return [...this.replies, ...this.runtimes.map((rt) => rt.output())].join('\n');
  }

  logLines(): number {
    return this.runtimes.reduce((n, rt) => n + rt.output().split('\n').length, 0);
  }
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  state: string;
  args: string;
}

/** Every process as `ps` lists it (portable across Linux and macOS). */
export function processes(): ProcessInfo[] {
  return execFileSync('ps', ['-eo', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), state: m[3]!, args: m[4]! }));
}

/** A process that is gone, or a zombie nobody reaped yet (it has exited: it holds nothing). */
export function isGone(pid: number): boolean {
  const p = processes().find((x) => x.pid === pid);
  return p === undefined || p.state.startsWith('Z');
}

/** The DynamoDB Local (java) a runtime started, and the port it serves on. */
export function dynamoOf(runtimePid: number): { pid: number; endpoint: string } {
  const java = processes().find((p) => p.ppid === runtimePid && /DynamoDBLocal\.jar/.test(p.args) && !p.args.startsWith('/bin/sh'));
  const port = java && /-port (\d+)/.exec(java.args)?.[1];
  if (!java || !port) throw new Error(`no DynamoDB Local under pid ${runtimePid}`);
  return { pid: java.pid, endpoint: `http://127.0.0.1:${port}` };
}

/** The task tokens stored on request items right now (the item format of lib/adapters/dynamo-items.ts). */
export async function storedTaskTokens(endpoint: string): Promise<string[]> {
  const client = localDynamoClient(endpoint);
  try {
    const tokens: string[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: TABLE_NAME, ExclusiveStartKey: start, ProjectionExpression: 'taskToken' }));
      for (const item of page.Items ?? []) {
        const token = unmarshall(item).taskToken as unknown;
        if (typeof token === 'string' && token !== '') tokens.push(token);
      }
      start = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
    return tokens;
  } finally {
    client.destroy();
  }
}

/** A revocation request's item as stored (with what the API never shows, such as its task token). */
export async function storedRevocation(endpoint: string, id: string): Promise<Json | undefined> {
  const client = localDynamoClient(endpoint);
  try {
    const { Item } = await client.send(new GetItemCommand({ TableName: TABLE_NAME, Key: marshall(keys.revocation(id)), ConsistentRead: true }));
    return Item ? unmarshall(Item) : undefined;
  } finally {
    client.destroy();
  }
}

/** The serial numbers on a DER CRL as openssl reads them, as the API writes them (upper-case hex). */
export function crlSerials(der: ArrayBuffer): string[] {
  const text = execFileSync('/usr/bin/openssl', ['crl', '-inform', 'DER', '-noout', '-text'], { input: Buffer.from(der), encoding: 'utf8' });
  return [...text.matchAll(/Serial Number: ([0-9A-F]+)/gi)].map((m) => canonicalSerial(m[1]!));
}

/** Upper-case hex without leading zeros: DER drops them, the API's 32-digit form keeps them. */
export function canonicalSerial(serial: string): string {
  return serial.toUpperCase().replace(/^0+(?=.)/, '');
}

/**
 * What must never leave the service, read from a data folder: every base64 line of each private
 * key under `ca/` and `keys/` (the CA key, the token signing key, the vault's master key), and
 * every secret-looking value of their JSON files. Public certificates are not secrets.
 */
export async function secretsOf(dataDir: string): Promise<string[]> {
  const needles = new Set<string>();
  for (const dir of ['ca', 'keys', join('keys', 'vault')]) {
    const names = await readdir(join(dataDir, dir), { withFileTypes: true }).catch(() => []);
    for (const entry of names) {
      if (!entry.isFile()) continue;
      const bytes = await readFile(join(dataDir, dir, entry.name));
      if (entry.name.endsWith('.key')) {
        // Raw key bytes (the vault's master key): as a log or reply would spell them.
        needles.add(bytes.toString('base64'));
        needles.add(bytes.toString('hex'));
        continue;
      }
      const text = bytes.toString('utf8');
      for (const block of text.matchAll(/-----BEGIN ([A-Z ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/g)) {
        for (const line of block[2]!.split(/\\n|\n/)) if (line.trim().length >= 32) needles.add(line.trim());
      }
      // JSON holders (ca.json, a JWK): private members by name, anything long and opaque otherwise.
      try {
        collectSecrets(JSON.parse(text) as unknown, needles);
      } catch {
        if (!text.includes('-----BEGIN') && text.trim().length >= 16) needles.add(text.trim());
      }
    }
  }
  return [...needles];
}

function collectSecrets(value: unknown, into: Set<string>, key = ''): void {
  if (typeof value === 'string') {
    if (/^(d|p|q|dp|dq|qi|k|key|secret|privateKey.*)$/i.test(key) && value.length >= 16 && !value.includes('-----BEGIN')) into.add(value);
    return;
  }
  if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collectSecrets(v, into, k);
}
