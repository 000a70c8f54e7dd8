import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoCertificateStore } from '../../lib/adapters/dynamo-certificate-store.js';
import { QueryCommand } from '../../lib/adapters/dynamo-client.js';
import { TABLE_INDEXES } from '../../lib/adapters/table-schema.js';
import { AlreadyExistsError, InvalidRequestError, VersionConflictError } from '../../lib/app/errors.js';
import { auditEvent, storedCertificate } from '../fixtures/stored-certificates.js';
import { createTestTable } from '../support/dynamo.js';

let table: Awaited<ReturnType<typeof createTestTable>>;
let store: DynamoCertificateStore;

beforeAll(async () => {
  table = await createTestTable();
  store = new DynamoCertificateStore(table.db, table.tableName);
});

describe('DynamoCertificateStore', () => {
  it('stores a certificate and reads it back unchanged, with its first audit event', async () => {
    const cert = storedCertificate({ sans: ['www.shop.example.com'], enterprise: { name: 'Example Ltd' } });
    await store.create(cert, auditEvent(cert));
    expect(await store.get(cert.id)).toEqual(cert);
    expect(await store.events(cert.id)).toEqual([auditEvent(cert)]);
  });

  it('returns undefined for an unknown id', async () => {
    expect(await store.get('cert-missing')).toBeUndefined();
  });

  it('reads many certificates at once, past the 100 keys of one BatchGetItem, leaving out unknown and repeated ids', async () => {
    const certs = Array.from({ length: 130 }, (_, i) => storedCertificate({ domain: `many-${i}.example.com` }));
    for (let i = 0; i < certs.length; i += 10) await Promise.all(certs.slice(i, i + 10).map((c) => store.create(c, auditEvent(c))));
    const ids = [...certs.map((c) => c.id), 'cert-missing', certs[0]!.id];
    const found = await store.getMany(ids);
    expect(found.size).toBe(130);
    for (const c of certs) expect(found.get(c.id)).toEqual(c);
    expect(found.has('cert-missing')).toBe(false);
    expect((await store.getMany([])).size).toBe(0);
  });

  it('refuses to create a certificate whose id exists, writing no second event', async () => {
    const cert = storedCertificate();
    await store.create(cert, auditEvent(cert));
    await expect(store.create({ ...cert, domain: 'other.example.com' }, auditEvent(cert, { at: '2026-02-01T00:00:00.000Z' }))).rejects.toBeInstanceOf(
      AlreadyExistsError,
    );
    expect((await store.get(cert.id))?.domain).toBe('shop.example.com');
    expect(await store.events(cert.id)).toHaveLength(1);
  });

  it('updates only at the expected version, bumping it and appending the event', async () => {
    const cert = storedCertificate();
    await store.create(cert, auditEvent(cert));
    const at = '2026-03-01T00:00:00.000Z';
    const next = await store.update({ ...cert, status: 'revoking' }, 1, auditEvent(cert, { at, type: 'revocation.submitted' }));
    expect(next.version).toBe(2);
    expect(await store.get(cert.id)).toMatchObject({ status: 'revoking', version: 2, updatedAt: at });
    expect((await store.events(cert.id)).map((e) => e.type)).toEqual(['certificate.registered', 'revocation.submitted']);
  });

  it('rejects a stale update with the current item and leaves state and history untouched', async () => {
    const cert = storedCertificate();
    await store.create(cert, auditEvent(cert));
    await store.update({ ...cert, status: 'revoking' }, 1, auditEvent(cert, { at: '2026-03-01T00:00:00.000Z', type: 'a' }));
    const stale = store.update({ ...cert, status: 'reissuing' }, 1, auditEvent(cert, { at: '2026-03-02T00:00:00.000Z', type: 'b' }));
    const error = await stale.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError<typeof cert>).current).toMatchObject({ id: cert.id, status: 'revoking', version: 2 });
    expect((await store.get(cert.id))?.status).toBe('revoking');
    expect((await store.events(cert.id)).map((e) => e.type)).toEqual(['certificate.registered', 'a']);
  });

  it('lets exactly one of many concurrent updates of one version win', async () => {
    const cert = storedCertificate();
    await store.create(cert, auditEvent(cert));
    const attempts = Array.from({ length: 10 }, (_, i) =>
      store.update({ ...cert, status: 'revoking' }, 1, auditEvent(cert, { at: `2026-03-01T00:00:00.${String(i).padStart(3, '0')}Z`, type: `try-${i}` })),
    );
    const results = await Promise.allSettled(attempts);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof VersionConflictError)).toHaveLength(9);
    expect(await store.events(cert.id)).toHaveLength(2);
  });

  it("lists only the account's certificates, newest first, in pages, filtered by status", async () => {
    const account = `acct-list-${Date.now()}`;
    const certs = [1, 2, 3, 4, 5].map((n) =>
      storedCertificate({ account, createdAt: `2026-01-0${n}T00:00:00.000Z`, status: n % 2 ? 'issued' : 'revoked' }),
    );
    const stranger = storedCertificate();
    for (const c of [...certs, stranger]) await store.create(c, auditEvent(c));

    const first = await store.listByAccount(account, { limit: 2 });
    expect(first.items.map((c) => c.id)).toEqual([certs[4]!.id, certs[3]!.id]);
    expect(first.nextCursor).toBeDefined();
    const rest = await store.listByAccount(account, { limit: 10, cursor: first.nextCursor });
    expect(rest.items.map((c) => c.id)).toEqual([certs[2]!.id, certs[1]!.id, certs[0]!.id]);
    expect(rest.nextCursor).toBeUndefined();

    const revoked = await store.listByAccount(account, { limit: 10, status: 'revoked' });
    expect(revoked.items.map((c) => c.id)).toEqual([certs[3]!.id, certs[1]!.id]);
  });

  it("refuses another account's cursor and a forged one", async () => {
    const mine = storedCertificate();
    const other = storedCertificate();
    const otherSecond = storedCertificate({ account: other.account, createdAt: '2026-01-02T00:00:00.000Z' });
    for (const c of [mine, other, otherSecond]) await store.create(c, auditEvent(c));
    const { nextCursor } = await store.listByAccount(other.account, { limit: 1 });
    expect(nextCursor).toBeDefined();
    await expect(store.listByAccount(mine.account, { limit: 10, cursor: nextCursor })).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(store.listByAccount(mine.account, { limit: 10, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidRequestError);
  });

  it('files an issued certificate in the due index when its renewal window opens, then when it expires', async () => {
    const issued = storedCertificate({ notAfter: '2031-05-06T07:00:00.000Z', renewalStatus: 'none' });
    const revoked = storedCertificate({ notAfter: '2031-05-06T08:00:00.000Z', renewalStatus: 'none', status: 'revoked' });
    for (const c of [issued, revoked]) await store.create(c, auditEvent(c));
    expect(await dueOn('DUE#2031-04-06')).toEqual([issued.id]);

    const flagged = await store.update({ ...issued, renewalStatus: 'to_be_renewed' }, 1, auditEvent(issued, { at: '2031-04-07T00:00:00.000Z', type: 'x' }));
    expect(await dueOn('DUE#2031-04-06')).toEqual([]);
    expect(await dueOn('DUE#2031-05-06')).toEqual([issued.id]);

    await store.update({ ...flagged, status: 'revoking' }, flagged.version, auditEvent(issued, { at: '2031-04-08T00:00:00.000Z', type: 'x' }));
    expect(await dueOn('DUE#2031-05-06')).toEqual([]);
  });

  it('files a certificate written after it became due under the day it was written, never an earlier one', async () => {
    const late = storedCertificate({ notAfter: '2026-01-10T00:00:00.000Z', renewalStatus: 'none', updatedAt: '2026-03-01T10:00:00.000Z' });
    await store.create(late, auditEvent(late));
    expect(await dueOn('DUE#2025-12-11')).toEqual([]);
    expect(await dueOn('DUE#2026-03-01')).toEqual([late.id]);
  });
});

async function dueOn(day: string): Promise<unknown[]> {
  const index = TABLE_INDEXES.dueByDay;
  const { Items = [] } = await table.db.send(
    new QueryCommand({
      TableName: table.tableName,
      IndexName: index.name,
      KeyConditionExpression: '#pk = :day',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':day': day },
    }),
  );
  return Items.map((i) => i.id);
}
