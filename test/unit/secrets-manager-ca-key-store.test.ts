import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaMaterial } from '../../lib/adapters/embedded-ca.js';
import {
  CA_SECRET_VERSION_TOKEN,
  createSecretsManagerClient,
  SecretsManagerCaKeyStore,
} from '../../lib/adapters/secrets-manager-ca-key-store.js';
import { ServiceError, startJsonService } from '../support/json-service.js';

/**
 * Secrets Manager has no local stand-in, so this (and only this) test uses a hand-written fake
 * of the two calls, served over loopback HTTP as Secrets Manager's JSON protocol
 * (test/support/json-service.ts), so the store's calls go through our real AWS client. It keeps versions the way the service documents them: a version per
 * ClientRequestToken, a repeat with the same value ignored, a different value refused with
 * ResourceExistsException, the newest version staged AWSCURRENT, and ResourceNotFoundException
 * for a secret that has no value yet.
 */
class FakeSecretsManager {
  readonly versions = new Map<string, string>();
  current: string | undefined;
  readonly puts: Record<string, unknown>[] = [];
  failPutWith: Error | undefined;

  handle(operation: string, input: { VersionId?: string; VersionStage?: string; ClientRequestToken?: string; SecretString?: string }): unknown {
    if (operation === 'GetSecretValue') {
      const versionId = input.VersionId ?? (input.VersionStage === 'AWSCURRENT' ? this.current : undefined);
      const value = versionId === undefined ? undefined : this.versions.get(versionId);
      if (value === undefined) throw notFound();
      return { VersionId: versionId, SecretString: value };
    }
    if (operation !== 'PutSecretValue') throw new ServiceError('UnknownOperationException');
    this.puts.push(input);
    if (this.failPutWith) throw this.failPutWith;
    const { ClientRequestToken: token, SecretString: value } = input;
    if (token === undefined || value === undefined) throw new Error('the fake expects a token and a string');
    const existing = this.versions.get(token);
    if (existing !== undefined && existing !== value) {
      throw new ServiceError('ResourceExistsException', 'A resource with the ID you requested already exists.');
    }
    this.versions.set(token, value);
    this.current = token;
    return { VersionId: token };
  }

  /** A version written by someone else (another cold start, an operator, CloudFormation). */
  seed(token: string, value: string): void {
    this.versions.set(token, value);
    this.current = token;
  }
}

function notFound(): Error {
  return new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
}

let fakeNow: FakeSecretsManager;
let service: Awaited<ReturnType<typeof startJsonService>>;
beforeAll(async () => {
  service = await startJsonService((operation, input) => fakeNow.handle(operation, input));
});
afterAll(() => service.close());

function material(name: string): CaMaterial {
  return {
    certificatePem: `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`,
    privateKeyPkcs8Pem: `-----BEGIN PRIVATE KEY-----\n${name}\n-----END PRIVATE KEY-----\n`,
  };
}

function storeOver(fake: FakeSecretsManager): SecretsManagerCaKeyStore {
  fakeNow = fake;
  return new SecretsManagerCaKeyStore({ secretId: 'certrevoke/ca', client: createSecretsManagerClient({ region: 'eu-west-1', endpoint: service.endpoint }) });
}

describe('SecretsManagerCaKeyStore', () => {
  it('reports no CA when the secret has no value yet', async () => {
    const store = storeOver(new FakeSecretsManager());

    expect(await store.load()).toBeUndefined();
  });

  it('reports no CA when the current value is the placeholder the stack created', async () => {
    const fake = new FakeSecretsManager();
    fake.seed('cloudformation-initial-version', 'x8#kP2!generated-password');

    expect(await storeOver(fake).load()).toBeUndefined();
  });

  it('stores the material as JSON under the fixed version token and loads it back', async () => {
    const fake = new FakeSecretsManager();
    const store = storeOver(fake);

    const saved = await store.saveIfAbsent(material('mine'));

    expect(saved).toEqual(material('mine'));
    expect(fake.puts).toEqual([
      { SecretId: 'certrevoke/ca', ClientRequestToken: CA_SECRET_VERSION_TOKEN, SecretString: JSON.stringify(material('mine')) },
    ]);
    expect(CA_SECRET_VERSION_TOKEN.length).toBeGreaterThanOrEqual(32);
    expect(CA_SECRET_VERSION_TOKEN.length).toBeLessThanOrEqual(64);
    expect(await store.load()).toEqual(material('mine'));
  });

  it('returns the stored winner when another writer created the version first', async () => {
    const fake = new FakeSecretsManager();
    fake.seed(CA_SECRET_VERSION_TOKEN, JSON.stringify(material('winner')));
    // An operator's later version does not change which CA the fixed version holds.
    fake.seed('operator-version', 'not ca material');

    expect(await storeOver(fake).saveIfAbsent(material('loser'))).toEqual(material('winner'));
  });

  it('ends with one CA when two cold starts save at once', async () => {
    const fake = new FakeSecretsManager();

    const [a, b] = await Promise.all([
      storeOver(fake).saveIfAbsent(material('a')),
      storeOver(fake).saveIfAbsent(material('b')),
    ]);

    expect(b).toEqual(a);
    expect([...fake.versions.keys()]).toEqual([CA_SECRET_VERSION_TOKEN]);
  });

  it('rethrows an error that does not mean someone else saved first', async () => {
    const fake = new FakeSecretsManager();
    fake.failPutWith = notFound(); // the secret itself does not exist: a deployment error

    await expect(storeOver(fake).saveIfAbsent(material('mine'))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
