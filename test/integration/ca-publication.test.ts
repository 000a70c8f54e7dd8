import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoCrlStore } from '../../lib/adapters/dynamo-crl-store.js';
import { EmbeddedCa } from '../../lib/adapters/embedded-ca.js';
import { FileCaKeyStore } from '../../lib/adapters/file-ca-key-store.js';
import type { ApiEvent } from '../../lib/http/api.js';
import { createTestTable } from '../support/dynamo.js';

// The CA's publication against DynamoDB Local and openssl, and the two public routes' handlers
// reading it. The handlers run with no CA configured at all (neither CA_KEY_DIR nor
// CA_SECRET_ID): what they serve can only come from the table.

const DAY_MS = 24 * 60 * 60 * 1000;

let dir: string;
let table: Awaited<ReturnType<typeof createTestTable>>;
let store: DynamoCrlStore;
let now: Date;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certrevoke-publication-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  table = await createTestTable();
  store = new DynamoCrlStore(table.db, table.tableName);
  now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
});

const caDir = () => join(dir, table.tableName);
/** The CA of the test's table, at the test's `now`. */
const newCa = () => new EmbeddedCa(new FileCaKeyStore(caDir()), store, { clock: () => now });

function openssl(...args: string[]): string {
  return execFileSync('/usr/bin/openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * What `openssl crl` reads off the DER against the CA certificate: whether the signature
 * verified (it exits 0 either way, saying `verify OK` or `verify failure` on stderr) and the CRL number.
 */
async function checkCrl(der: Uint8Array, caPem: string): Promise<{ verified: boolean; crlNumber: number }> {
  const [derPath, caPath] = [join(dir, 'crl.der'), join(dir, 'ca.pem')];
  await writeFile(derPath, der);
  await writeFile(caPath, caPem);
  const result = spawnSync('/usr/bin/openssl', ['crl', '-inform', 'DER', '-in', derPath, '-CAfile', caPath, '-noout', '-crlnumber'], { encoding: 'utf8' });
  const crlNumber = /crlNumber=(?:0x)?([0-9A-F]+)/i.exec(result.stdout)?.[1];
  return { verified: result.status === 0 && result.stderr.includes('verify OK'), crlNumber: crlNumber === undefined ? Number.NaN : Number.parseInt(crlNumber, 16) };
}

describe('EmbeddedCa publication', () => {
  it('publishes the certificate of a CA the moment it creates it, whichever call created it', async () => {
    expect(await store.loadCaCertificate()).toBeUndefined();
    const ca = newCa();
    const pem = await ca.caCertificatePem();
    expect(await store.loadCaCertificate()).toBe(pem);
    expect(openssl('x509', '-noout', '-subject', '-in', await pemFile(pem))).toContain('certrevoke');
  });

  it('publish() publishes a CA created without a store, signs its first CRL, and a second run changes nothing', async () => {
    // A CA with no table: it neither publishes nor keeps a CRL.
    const pem = await new EmbeddedCa(new FileCaKeyStore(caDir())).caCertificatePem();
    expect(await store.loadCaCertificate()).toBeUndefined();
    await newCa().publish();
    expect(await store.loadCaCertificate()).toBe(pem);
    const first = await store.loadCrl();
    expect(first).toBeDefined();
    expect(await checkCrl(first!.der, pem)).toEqual({ verified: true, crlNumber: 1 });
    // The check can fail: another CA's certificate does not verify this CRL.
    const otherCa = await new EmbeddedCa(new FileCaKeyStore(join(dir, `${table.tableName}-other`))).caCertificatePem();
    expect((await checkCrl(first!.der, otherCa)).verified).toBe(false);
    await newCa().publish();
    expect((await store.loadCrl())!.crlNumber).toBe(1);
  });

  it('publish() re-signs the CRL once it is within a day of its nextUpdate, and not before', async () => {
    const ca = newCa();
    await ca.publish();
    now = new Date(now.getTime() + 5.5 * DAY_MS);
    await newCa().publish();
    expect((await store.loadCrl())!.crlNumber).toBe(1);
    now = new Date(now.getTime() + DAY_MS);
    await newCa().publish();
    const resigned = await store.loadCrl();
    expect(resigned!.crlNumber).toBe(2);
    expect(await checkCrl(resigned!.der, (await store.loadCaCertificate())!)).toEqual({ verified: true, crlNumber: 2 });
  });
});

async function pemFile(pem: string): Promise<string> {
  const path = join(dir, 'cert.pem');
  await writeFile(path, pem);
  return path;
}

describe('the public CA routes', () => {
  const context = {} as Context;
  const event = (path: string) =>
    ({ version: '2.0', routeKey: `GET ${path}`, rawPath: path, rawQueryString: '', headers: {}, isBase64Encoded: false, requestContext: {} }) as unknown as ApiEvent;
  let handlers: { ca: (e: ApiEvent, c: Context) => Promise<{ statusCode?: number; body?: string; headers?: Record<string, unknown> }>; crl: typeof handlers.ca };
  let handlersTable: Awaited<ReturnType<typeof createTestTable>>;

  beforeAll(async () => {
    handlersTable = await createTestTable();
    // The public routes' whole configuration: the table, and no CA.
    Object.assign(process.env, { TABLE_NAME: handlersTable.tableName, DYNAMODB_ENDPOINT: handlersTable.endpoint, AWS_REGION: 'local', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
    delete process.env.CA_KEY_DIR;
    delete process.env.CA_SECRET_ID;
    const [ca, crl] = await Promise.all([import('../../functions/get-ca-certificate.js'), import('../../functions/get-crl.js')]);
    handlers = { ca: ca.handler as typeof handlers.ca, crl: crl.handler as typeof handlers.ca };
  });

  // The handlers are configured once, with their table: these tests use it instead of a fresh one.
  beforeEach(() => {
    table = handlersTable;
    store = new DynamoCrlStore(table.db, table.tableName);
  });

  it('answer 503 SERVICE_UNAVAILABLE, with a sentence, before the CA is published; then serve exactly what was published', async () => {
    for (const [handler, path] of [
      [handlers.ca, '/ca.pem'],
      [handlers.crl, '/crl'],
    ] as const) {
      const res = await handler(event(path), context);
      expect(res.statusCode, path).toBe(503);
      const body = JSON.parse(res.body!) as { code: string; detail: string };
      expect(body.code).toBe('SERVICE_UNAVAILABLE');
      expect(body.detail).toMatch(/not been published yet/);
    }

    await newCa().publish();
    const pem = (await store.loadCaCertificate())!;
    const ca = await handlers.ca(event('/ca.pem'), context);
    expect(ca.statusCode).toBe(200);
    expect(ca.body).toBe(pem);
    const crl = await handlers.crl(event('/crl'), context);
    expect(crl.statusCode).toBe(200);
    expect(crl.headers?.['content-type']).toBe('application/pkix-crl');
    const der = Buffer.from(crl.body!, 'base64');
    expect(der.equals(Buffer.from((await store.loadCrl())!.der))).toBe(true);
    expect(await checkCrl(der, pem)).toEqual({ verified: true, crlNumber: 1 });
  });

  it('serve a stale CRL as stored rather than sign one (signing is the publisher\'s)', async () => {
    await newCa().publish();
    const before = await store.loadCrl();
    now = new Date(now.getTime() + 6.5 * DAY_MS);
    const crl = await handlers.crl(event('/crl'), context);
    expect(Buffer.from(crl.body!, 'base64').equals(Buffer.from(before!.der))).toBe(true);
    expect((await store.loadCrl())!.crlNumber).toBe(before!.crlNumber);
  });
});
