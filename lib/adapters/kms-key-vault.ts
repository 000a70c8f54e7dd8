import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  type DecryptCommandOutput,
  type GenerateDataKeyCommandOutput,
} from '@aws-sdk/client-kms';
import type { KeyVault } from '../app/ports.js';
import { createAwsClient } from './aws-client.js';

const VERSION = 'v1k';
const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The two KMS calls the vault makes; a KMSClient, or a stand-in in tests. */
export interface KmsSender {
  send(command: GenerateDataKeyCommand): Promise<GenerateDataKeyCommandOutput>;
  send(command: DecryptCommand): Promise<DecryptCommandOutput>;
}

export interface KmsKeyVaultProps {
  /** The KMS key (id, ARN, alias name or alias ARN) that wraps every data key. */
  keyId: string;
  /** Where the key lives, for the default client. @default the SDK's (AWS_REGION) */
  region?: string;
  /** @default a KMSClient for `region` */
  client?: KmsSender;
}

/**
 * Envelope encryption with a KMS key: each seal asks KMS for a fresh AES-256 data key
 * (GenerateDataKey) with the context as its encryption context, encrypts locally with AES-256-GCM
 * (the context bound again as additional data) and keeps only the data key as KMS wrapped it.
 * Opening asks KMS to unwrap it (Decrypt) with the same context, so a sealed value opens only for
 * the record it was sealed for, and only for a role granted kms:Decrypt on the key.
 *
 * Sealed form: `v1k.<encryptedDataKey>.<iv>.<tag>.<ciphertext>` (base64url).
 */
export class KmsKeyVault implements KeyVault {
  private readonly keyId: string;
  private readonly client: KmsSender;

  constructor(props: KmsKeyVaultProps) {
    this.keyId = props.keyId;
    this.client = props.client ?? createAwsClient(KMSClient, { region: props.region, requestTimeoutMs: 3_000 });
  }

  async seal(plaintext: Uint8Array, context: Record<string, string>): Promise<string> {
    const reply = await this.client.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }),
    );
    if (!reply.Plaintext || !reply.CiphertextBlob || reply.Plaintext.length !== DATA_KEY_BYTES) {
      throw new Error('KMS returned no usable AES-256 data key.');
    }
    const dataKey = Buffer.from(reply.Plaintext);
    try {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
      cipher.setAAD(contextBytes(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const parts = [Buffer.from(reply.CiphertextBlob), iv, cipher.getAuthTag(), ciphertext];
      return [VERSION, ...parts.map((part) => part.toString('base64url'))].join('.');
    } finally {
      dataKey.fill(0);
      reply.Plaintext.fill(0);
    }
  }

  async open(sealed: string, context: Record<string, string>): Promise<Uint8Array> {
    const [version, wrappedKey, iv, tag, ciphertext, ...rest] = sealed.split('.');
    if (version !== VERSION || !wrappedKey || iv === undefined || tag === undefined || ciphertext === undefined || rest.length > 0) {
      throw new Error('The sealed value is not in the v1k format.');
    }
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new Error('The sealed value is malformed.');

    let reply: DecryptCommandOutput;
    try {
      reply = await this.client.send(
        new DecryptCommand({ KeyId: this.keyId, CiphertextBlob: Buffer.from(wrappedKey, 'base64url'), EncryptionContext: { ...context } }),
      );
    } catch (error) {
      // KMS's answer to a wrong context, an altered blob or another key; anything else (throttling,
      // access denied) is an operational failure and is passed on as it is.
      if (error instanceof Error && error.name === 'InvalidCiphertextException') throw notOpening();
      throw error;
    }
    if (!reply.Plaintext || reply.Plaintext.length !== DATA_KEY_BYTES) throw new Error('KMS returned no usable AES-256 data key.');
    const dataKey = Buffer.from(reply.Plaintext);
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, ivBytes);
      decipher.setAAD(contextBytes(context));
      decipher.setAuthTag(tagBytes);
      return new Uint8Array(Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]));
    } catch {
      throw notOpening();
    } finally {
      dataKey.fill(0);
      reply.Plaintext.fill(0);
    }
  }
}

function notOpening(): Error {
  return new Error('The sealed value does not open: it was altered, or sealed with another key or context.');
}

/**
 * The context as JSON sorted by key, as FileKeyVault binds it: the same context always binds the
 * same bytes. Pairs, not an object, because JavaScript orders integer-like keys numerically.
 */
function contextBytes(context: Record<string, string>): Buffer {
  const pairs = Object.keys(context)
    .sort()
    .map((key) => [key, context[key]]);
  return Buffer.from(JSON.stringify(pairs), 'utf8');
}
