import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CrlStore, StoredCrl } from '../../lib/adapters/crl-store.js';
import { DynamoCrlStore } from '../../lib/adapters/dynamo-crl-store.js';
import { EmbeddedCa } from '../../lib/adapters/embedded-ca.js';
import { FileCaKeyStore } from '../../lib/adapters/file-ca-key-store.js';
import type { CrlEntry, IssueRequest } from '../../lib/app/ports.js';
import { createTestTable } from '../support/dynamo.js';

// Real crypto, DynamoDB Local and the openssl binary: every CRL is judged by openssl, not by
// the code that signed it.

const DAY_MS = 24 * 60 * 60 * 1000;

let dir: string;
let table: Awaited<ReturnType<typeof createTestTable>>;
let crlStore: DynamoCrlStore;
/** The CA's clock: whole seconds (as X.509 times), a minute back so CRLs are valid now. */
let now: Date;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certrevoke-crl-'));
  table = await createTestTable();
  crlStore = new DynamoCrlStore(table.db, table.tableName);
  now = wholeSecondsAgo(60_000);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function openssl(...args: string[]): string {
  return execFileSync('/usr/bin/openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** openssl's exit status with both streams, for commands expected to fail or to talk on stderr. */
function opensslResult(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('/usr/bin/openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: result.status, output: result.stdout + result.stderr };
}

async function file(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

function wholeSecondsAgo(ms: number): Date {
  return new Date(Math.floor((Date.now() - ms) / 1000) * 1000);
}

function newCa(store: CrlStore = crlStore, clock: () => Date = () => now): EmbeddedCa {
  return new EmbeddedCa(new FileCaKeyStore(join(dir, 'ca')), store, { clock });
}

function request(domain: string): IssueRequest {
  const notBefore = now;
  return { domain, sans: [], notBefore, notAfter: new Date(notBefore.getTime() + 90 * DAY_MS) };
}

function entry(serialNumber: string, overrides: Partial<CrlEntry> = {}): CrlEntry {
  return { serialNumber, revokedAt: new Date(now.getTime() - 60_000), reasonCode: 'unspecified', ...overrides };
}

/** A serial as the CA makes them: 16 bytes, first byte 0x01..0x7f, upper-case hex. */
function serial(n: number): string {
  return `1${n.toString(16).padStart(31, '0')}`.toUpperCase();
}

/** Writes the CRL as DER and PEM, and the CA as PEM, for openssl. */
async function crlFiles(ca: EmbeddedCa, der: Uint8Array) {
  const caPath = await file('ca.pem', await ca.caCertificatePem());
  const derPath = await file('crl.der', der);
  const pemPath = join(dir, 'crl.pem');
  openssl('crl', '-inform', 'DER', '-in', derPath, '-out', pemPath);
  return { caPath, derPath, pemPath };
}

function crlText(derPath: string): string {
  return openssl('crl', '-inform', 'DER', '-in', derPath, '-noout', '-text');
}

/** The serials on a CRL, upper-case, in the order openssl prints them. */
function revokedSerials(text: string): string[] {
  return [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!);
}

/** A time as openssl prints it: `Mar  5 09:04:02 2026 GMT`. */
function opensslTime(date: Date): string {
  const [, day, month, year, time] = /^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/.exec(date.toUTCString())!;
  return `${month} ${day!.replace(/^0/, ' ')} ${time} ${year} GMT`;
}

async function crlNumberOf(der: Uint8Array): Promise<number> {
  const printed = openssl('crl', '-inform', 'DER', '-in', await file('number.der', der), '-noout', '-crlnumber').trim();
  return Number.parseInt(printed.replace(/^crlNumber=(0x)?/, ''), 16);
}

describe('EmbeddedCa revocation', () => {
  it('lists a revoked leaf with its reason on a CRL that openssl verifies, and openssl then refuses only that leaf', async () => {
    const ca = newCa();
    const revoked = await ca.issue(request('revoked.example.com'));
    const kept = await ca.issue(request('kept.example.com'));
    const revokedAt = new Date(now.getTime() - 30_000);

    await ca.revoke([{ serialNumber: revoked.serialNumber, revokedAt, reasonCode: 'keyCompromise' }]);

    const { caPath, derPath, pemPath } = await crlFiles(ca, await ca.currentCrl());
    const check = opensslResult('crl', '-inform', 'DER', '-in', derPath, '-CAfile', caPath, '-noout');
    expect(check).toEqual({ status: 0, output: 'verify OK\n' });

    const text = crlText(derPath);
    expect(text).toContain('Version 2 (0x1)');
    expect(text).toContain('Issuer: CN = certrevoke Local CA, O = certrevoke');
    expect(revokedSerials(text)).toEqual([revoked.serialNumber]);
    expect(text).toMatch(/X509v3 CRL Reason Code:\s+Key Compromise/);
    expect(text).toMatch(/X509v3 CRL Number:\s+1\n/);
    const caSki = openssl('x509', '-in', caPath, '-noout', '-ext', 'subjectKeyIdentifier').split('\n')[1]!.trim();
    expect(text).toMatch(new RegExp(`X509v3 Authority Key Identifier:\\s+(keyid:)?${caSki}`));

    const dates = openssl('crl', '-in', pemPath, '-noout', '-lastupdate', '-nextupdate');
    const thisUpdate = Date.parse(/lastUpdate=(.+)/.exec(dates)![1]!);
    const nextUpdate = Date.parse(/nextUpdate=(.+)/.exec(dates)![1]!);
    expect(thisUpdate).toBe(now.getTime());
    expect(nextUpdate - thisUpdate).toBeLessThanOrEqual(7 * DAY_MS);
    expect(nextUpdate).toBeGreaterThan(Date.now());
    expect(text).toContain(`Revocation Date: ${opensslTime(revokedAt)}`);

    const revokedPath = await file('revoked.pem', revoked.pem);
    const keptPath = await file('kept.pem', kept.pem);
    const refused = opensslResult('verify', '-crl_check', '-CAfile', caPath, '-CRLfile', pemPath, revokedPath);
    expect(refused.status).not.toBe(0);
    expect(refused.output).toContain('error 23 at 0 depth lookup: certificate revoked');
    expect(openssl('verify', '-crl_check', '-CAfile', caPath, '-CRLfile', pemPath, keptPath).trim()).toBe(`${keptPath}: OK`);
  });

  it('lists an unspecified revocation without a reasonCode extension', async () => {
    const ca = newCa();

    await ca.revoke([entry(serial(1), { reasonCode: 'unspecified' }), entry(serial(2), { reasonCode: 'superseded' })]);

    const text = crlText((await crlFiles(ca, await ca.currentCrl())).derPath);
    expect(revokedSerials(text)).toEqual([serial(1), serial(2)]);
    expect(text.match(/CRL Reason Code/g)).toHaveLength(1);
    expect(text).toMatch(/CRL Reason Code:\s+Superseded/);
  });

  it('keeps the first time and reason when a serial is revoked again, and a retry changes nothing', async () => {
    const ca = newCa();
    const first = entry(serial(7), { reasonCode: 'keyCompromise', revokedAt: new Date(now.getTime() - 3_600_000) });
    await ca.revoke([first]);
    const before = await ca.currentCrl();

    await ca.revoke([{ ...first, reasonCode: 'superseded', revokedAt: now }]);

    expect(await ca.currentCrl()).toEqual(before);
    expect(await crlStore.listEntries()).toEqual([first]);
    await ca.revoke([entry(serial(7), { reasonCode: 'cessationOfOperation' }), entry(serial(8))]);
    expect(await crlStore.listEntries()).toEqual([first, entry(serial(8))]);
    const text = crlText((await crlFiles(ca, await ca.currentCrl())).derPath);
    expect(revokedSerials(text)).toEqual([serial(7), serial(8)]);
    expect(text).toMatch(/X509v3 CRL Reason Code:\s+Key Compromise/);
    expect(text).not.toMatch(/Cessation Of Operation/);
    expect(text).toContain(`Revocation Date: ${opensslTime(first.revokedAt)}`);
  });

  it('treats differently written forms of one serial as one entry', async () => {
    const ca = newCa();

    await ca.revoke([entry('00ab12', { reasonCode: 'keyCompromise' }), entry('AB12', { reasonCode: 'superseded' })]);

    expect(await crlStore.listEntries()).toEqual([entry('AB12', { reasonCode: 'keyCompromise' })]);
  });

  it('increases the cRLNumber on each revocation', async () => {
    const ca = newCa();

    await ca.revoke([entry(serial(1))]);
    const first = await ca.currentCrl();
    await ca.revoke([entry(serial(2))]);
    const second = await ca.currentCrl();
    await ca.revoke([entry(serial(3))]);
    const third = await ca.currentCrl();

    expect([await crlNumberOf(first), await crlNumberOf(second), await crlNumberOf(third)]).toEqual([1, 2, 3]);
    expect((await crlStore.loadCrl())?.crlNumber).toBe(3);
    expect(revokedSerials(crlText((await crlFiles(ca, third)).derPath))).toEqual([serial(1), serial(2), serial(3)]);
  });

  it('signs, stores and then serves an empty CRL when nothing was ever revoked', async () => {
    const ca = newCa();

    const der = await ca.currentCrl();

    const { caPath, derPath } = await crlFiles(ca, der);
    expect(opensslResult('crl', '-inform', 'DER', '-in', derPath, '-CAfile', caPath, '-noout').output).toBe('verify OK\n');
    expect(crlText(derPath)).toContain('No Revoked Certificates.');
    expect(await crlNumberOf(der)).toBe(1);
    expect(await newCa().currentCrl()).toEqual(der);
    expect(Buffer.from((await crlStore.loadCrl())!.der)).toEqual(Buffer.from(der));
  });

  it('re-signs the stored CRL once it is within a day of its nextUpdate', async () => {
    let clock = now;
    const ca = newCa(crlStore, () => clock);
    await ca.revoke([entry(serial(1), { reasonCode: 'keyCompromise' })]);
    const signed = await ca.currentCrl();

    clock = new Date(now.getTime() + 5 * DAY_MS);
    expect(await ca.currentCrl()).toEqual(signed);
    clock = new Date(now.getTime() + 6 * DAY_MS + 1000);
    const refreshed = await ca.currentCrl();

    expect(await crlNumberOf(refreshed)).toBe(2);
    const text = crlText((await crlFiles(ca, refreshed)).derPath);
    expect(revokedSerials(text)).toEqual([serial(1)]);
    expect(await ca.currentCrl()).toEqual(refreshed);
  });

  it('ends with every entry on the CRL when two instances sharing the store revoke at once', async () => {
    const [a, b] = [newCa(), newCa(new DynamoCrlStore(table.db, table.tableName))];
    const serials = [1, 2, 3, 4, 5, 6].map(serial);

    await Promise.all(serials.map((s, i) => (i % 2 ? a : b).revoke([entry(s, { reasonCode: 'keyCompromise' })])));

    const der = await a.currentCrl();
    const { caPath, derPath } = await crlFiles(a, der);
    expect(opensslResult('crl', '-inform', 'DER', '-in', derPath, '-CAfile', caPath, '-noout').output).toBe('verify OK\n');
    expect(revokedSerials(crlText(derPath)).sort()).toEqual(serials);
    expect(await b.currentCrl()).toEqual(der);
  });

  it('re-signs on top of a concurrent CRL that lacks its entry instead of overwriting it', async () => {
    // Forces the worst interleaving: A lists before B records, B loads before A saves, A saves
    // first. B's save must fail, and B's retry must keep A's entry and add its own.
    const aListed = deferred();
    const bLoaded = deferred();
    const aSaved = deferred();
    const storeA = hooked(crlStore, {
      afterList: async () => {
        aListed.resolve();
        await bLoaded.promise;
      },
      afterSave: async () => aSaved.resolve(),
    });
    const storeB = hooked(crlStore, {
      afterLoad: async () => {
        bLoaded.resolve();
        await aSaved.promise;
      },
    });
    const [a, b] = [newCa(storeA), newCa(storeB)];
    await a.caCertificatePem();

    const revokeA = a.revoke([entry(serial(1), { reasonCode: 'keyCompromise' })]);
    await aListed.promise;
    await b.revoke([entry(serial(2), { reasonCode: 'superseded' })]);
    await revokeA;

    expect(storeB.saves).toEqual([false, true]);
    const stored = await crlStore.loadCrl();
    expect(stored?.crlNumber).toBe(2);
    const text = crlText((await crlFiles(a, stored!.der)).derPath);
    expect(revokedSerials(text)).toEqual([serial(1), serial(2)]);
  });

  it('keeps an entry recorded while another instance, whose clock runs ahead, refreshes the CRL', async () => {
    // The refresher finds nothing stored and pauses after listing; meanwhile a revocation saves
    // CRL 1. The refresher's save fails; to it CRL 1 already looks stale, so it re-signs, and the
    // new CRL must be signed from a listing taken after CRL 1 was loaded.
    const refresherListed = deferred();
    const revoked = deferred();
    const refresherStore = hooked(crlStore, {
      afterList: async () => {
        refresherListed.resolve();
        await revoked.promise;
      },
    });
    const refresher = newCa(refresherStore, () => new Date(now.getTime() + 10 * DAY_MS));
    const revoker = newCa();
    await revoker.caCertificatePem();

    const refreshing = refresher.currentCrl();
    await refresherListed.promise;
    await revoker.revoke([entry(serial(1), { reasonCode: 'keyCompromise' })]);
    revoked.resolve();
    const served = await refreshing;

    expect(refresherStore.saves).toEqual([false, true]);
    expect(await crlNumberOf(served)).toBe(2);
    expect(revokedSerials(crlText((await crlFiles(revoker, served)).derPath))).toEqual([serial(1)]);
  });

  it('refuses to revoke or serve a CRL without a CrlStore', async () => {
    const ca = new EmbeddedCa(new FileCaKeyStore(join(dir, 'ca')));

    await expect(ca.revoke([entry(serial(1))])).rejects.toThrow(/no CrlStore/);
    await expect(ca.currentCrl()).rejects.toThrow(/no CrlStore/);
  });

  it('refuses a serial that is not hexadecimal, recording nothing', async () => {
    const ca = newCa();

    await expect(ca.revoke([entry(serial(1)), entry('12:34')])).rejects.toThrow(/not a hexadecimal serial/);
    expect(await crlStore.listEntries()).toEqual([]);
  });
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

interface Hooks {
  afterLoad?: () => Promise<void>;
  afterList?: () => Promise<void>;
  afterSave?: () => Promise<void>;
}

/** The real store with one-shot pauses after its first load, list and save; records save results. */
function hooked(inner: CrlStore, hooks: Hooks): CrlStore & { saves: boolean[] } {
  const once = (hook: (() => Promise<void>) | undefined) => {
    let pending = hook;
    return async () => {
      const run = pending;
      pending = undefined;
      await run?.();
    };
  };
  const [afterLoad, afterList, afterSave] = [once(hooks.afterLoad), once(hooks.afterList), once(hooks.afterSave)];
  const saves: boolean[] = [];
  return {
    saves,
    loadCaCertificate: () => inner.loadCaCertificate(),
    saveCaCertificate: (pem) => inner.saveCaCertificate(pem),
    addEntries: (entries) => inner.addEntries(entries),
    async listEntries() {
      const entries = await inner.listEntries();
      await afterList();
      return entries;
    },
    async loadCrl(): Promise<StoredCrl | undefined> {
      const stored = await inner.loadCrl();
      await afterLoad();
      return stored;
    },
    async saveCrl(der, crlNumber, expectedPrevious) {
      const saved = await inner.saveCrl(der, crlNumber, expectedPrevious);
      saves.push(saved);
      await afterSave();
      return saved;
    },
  };
}
