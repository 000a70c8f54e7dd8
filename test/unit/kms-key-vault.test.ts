import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKmsClient, KmsKeyVault } from '../../lib/adapters/kms-key-vault.js';
import { ServiceError, startJsonService } from '../support/json-service.js';

/**
 * KMS has no local stand-in (no emulator among the project's tools), so the vault is tested
 * against this small hand-written fake of the two calls it makes, served over loopback HTTP as
 * KMS's JSON protocol (test/support/json-service.ts): the vault's calls go through our real AWS
 * client, blobs in base64 as KMS carries them. Like KMS, the fake binds the
 * encryption context to the wrapped data key (here as AES-GCM additional data under a master
 * key that never leaves it) and answers InvalidCiphertextException when Decrypt is given another
 * context, another key id or an altered blob.
 */
interface KmsInput {
  KeyId?: string;
  KeySpec?: string;
  CiphertextBlob?: string;
  EncryptionContext?: Record<string, string>;
}

class FakeKms {
  readonly calls: string[] = [];
  private readonly masterKey = randomBytes(32);

  constructor(private readonly keyId: string) {}

  handle(operation: string, input: KmsInput): unknown {
    const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
    this.calls.push(operation);
    const { KeyId, KeySpec, CiphertextBlob, EncryptionContext } = input;
    if (operation === 'GenerateDataKey') {
      if (KeyId !== this.keyId) throw kmsError('NotFoundException');
      if (KeySpec !== 'AES_256') throw kmsError('ValidationException');
      const dataKey = randomBytes(32);
      return { KeyId, Plaintext: b64(dataKey), CiphertextBlob: b64(this.wrap(dataKey, EncryptionContext ?? {})) };
    }
    if (operation !== 'Decrypt') throw kmsError('UnknownOperationException');
    if (KeyId !== undefined && KeyId !== this.keyId) throw kmsError('IncorrectKeyException');
    if (!CiphertextBlob) throw kmsError('ValidationException');
    return { KeyId: this.keyId, Plaintext: b64(this.unwrap(Buffer.from(CiphertextBlob, 'base64'), EncryptionContext ?? {})) };
  }

  private wrap(dataKey: Buffer, context: Record<string, string>): Uint8Array {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    cipher.setAAD(this.aad(context));
    const sealed = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), sealed]));
  }

  private unwrap(blob: Uint8Array, context: Record<string, string>): Uint8Array {
    const bytes = Buffer.from(blob);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.masterKey, bytes.subarray(0, 12));
      decipher.setAAD(this.aad(context));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]));
    } catch {
      throw kmsError('InvalidCiphertextException');
    }
  }

  /** KMS matches the context exactly, whatever the order of its pairs. */
  private aad(context: Record<string, string>): Buffer {
    return Buffer.from(JSON.stringify([this.keyId, Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]));
  }
}

function kmsError(name: string): Error {
  return new ServiceError(name, `fake KMS: ${name}`);
}

/** The fake KMS the tests talk to; `answer` decides each call (the fake, unless a test says otherwise). */
let kms: FakeKms;
let answer: (operation: string, input: KmsInput) => unknown;
let service: Awaited<ReturnType<typeof startJsonService>>;
beforeAll(async () => {
  service = await startJsonService((operation, input) => answer(operation, input));
});
afterAll(() => service.close());

const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const context = { certificateId: 'c-1', reissueId: 'r-1' };
const secret = new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\nMIIE…\n-----END PRIVATE KEY-----\n');

function vault() {
  kms = new FakeKms(KEY_ID);
  answer = (operation, input) => kms.handle(operation, input);
  return { kms, vault: new KmsKeyVault({ keyId: KEY_ID, client: createKmsClient({ region: 'eu-west-1', endpoint: service.endpoint }) }) };
}

describe('KmsKeyVault', () => {
  it('seals with a fresh KMS data key and opens what it sealed, whatever the order of the context', async () => {
    const { kms, vault: v } = vault();
    const sealed = await v.seal(secret, context);
    expect(sealed).toMatch(/^v1k(\.[A-Za-z0-9_-]+){4}$/);
    expect(sealed).not.toContain(Buffer.from(secret).toString('base64url'));
    await expect(v.open(sealed, { reissueId: 'r-1', certificateId: 'c-1' })).resolves.toEqual(secret);
    expect(kms.calls).toEqual(['GenerateDataKey', 'Decrypt']);
  });

  it('never seals the same value twice the same way (a data key and an IV per seal)', async () => {
    const { vault: v } = vault();
    const [a, b] = [await v.seal(secret, context), await v.seal(secret, context)];
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it('refuses to open for another context, as KMS refuses the data key', async () => {
    const { vault: v } = vault();
    const sealed = await v.seal(secret, context);
    await expect(v.open(sealed, { ...context, reissueId: 'r-2' })).rejects.toThrow(/does not open/);
    await expect(v.open(sealed, { reissueId: 'r-1' })).rejects.toThrow(/does not open/);
    await expect(v.open(sealed, { ...context, extra: 'x' })).rejects.toThrow(/does not open/);
  });

  it('refuses an altered ciphertext, tag, IV or wrapped key', async () => {
    const { vault: v } = vault();
    const sealed = await v.seal(secret, context);
    const parts = sealed.split('.');
    for (const index of [1, 2, 3, 4]) {
      const bytes = Buffer.from(parts[index]!, 'base64url');
      bytes[0]! ^= 1;
      const altered = parts.map((part, i) => (i === index ? bytes.toString('base64url') : part)).join('.');
      await expect(v.open(altered, context), `part ${index}`).rejects.toThrow(/does not open/);
    }
  });

  it('refuses what is not in its format, including the file vault\'s v1', async () => {
    const { vault: v } = vault();
    await expect(v.open('v1.a.b.c', context)).rejects.toThrow(/v1k format/);
    await expect(v.open(`${await v.seal(secret, context)}.x`, context)).rejects.toThrow(/v1k format/);
  });

  it('passes on a KMS failure that is not about the ciphertext (e.g. access denied)', async () => {
    const { vault: v } = vault();
    const sealed = await v.seal(secret, context);
    answer = () => {
      throw kmsError('AccessDeniedException');
    };
    await expect(v.open(sealed, context)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});
