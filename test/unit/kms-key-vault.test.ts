import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  GenerateDataKeyCommand,
  type DecryptCommand,
  type DecryptCommandOutput,
  type GenerateDataKeyCommandOutput,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { KmsKeyVault, type KmsSender } from '../../lib/adapters/kms-key-vault.js';

/**
 * KMS has no local stand-in (no emulator among the project's tools), so the vault is tested
 * against this small hand-written fake of the two calls it makes. Like KMS, the fake binds the
 * encryption context to the wrapped data key (here as AES-GCM additional data under a master
 * key that never leaves it) and answers InvalidCiphertextException when Decrypt is given another
 * context, another key id or an altered blob.
 */
class FakeKms implements KmsSender {
  readonly calls: string[] = [];
  private readonly masterKey = randomBytes(32);

  constructor(private readonly keyId: string) {}

  send(command: GenerateDataKeyCommand): Promise<GenerateDataKeyCommandOutput>;
  send(command: DecryptCommand): Promise<DecryptCommandOutput>;
  async send(command: GenerateDataKeyCommand | DecryptCommand): Promise<GenerateDataKeyCommandOutput | DecryptCommandOutput> {
    if (command instanceof GenerateDataKeyCommand) {
      this.calls.push('GenerateDataKey');
      const { KeyId, KeySpec, EncryptionContext } = command.input;
      if (KeyId !== this.keyId) throw kmsError('NotFoundException');
      if (KeySpec !== 'AES_256') throw kmsError('ValidationException');
      const dataKey = randomBytes(32);
      return { $metadata: {}, KeyId, Plaintext: new Uint8Array(dataKey), CiphertextBlob: this.wrap(dataKey, EncryptionContext ?? {}) };
    }
    this.calls.push('Decrypt');
    const { KeyId, CiphertextBlob, EncryptionContext } = command.input;
    if (KeyId !== undefined && KeyId !== this.keyId) throw kmsError('IncorrectKeyException');
    if (!CiphertextBlob) throw kmsError('ValidationException');
    return { $metadata: {}, KeyId: this.keyId, Plaintext: this.unwrap(CiphertextBlob, EncryptionContext ?? {}) };
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
  const error = new Error(`fake KMS: ${name}`);
  error.name = name;
  return error;
}

const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const context = { certificateId: 'c-1', reissueId: 'r-1' };
const secret = new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\nMIIE…\n-----END PRIVATE KEY-----\n');

function vault() {
  const kms = new FakeKms(KEY_ID);
  return { kms, vault: new KmsKeyVault({ keyId: KEY_ID, client: kms }) };
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
    const denied: KmsSender = {
      send: () => Promise.reject(kmsError('AccessDeniedException')),
    };
    const sealed = await vault().vault.seal(secret, context);
    await expect(new KmsKeyVault({ keyId: KEY_ID, client: denied }).open(sealed, context)).rejects.toThrow(/AccessDeniedException/);
  });
});
