import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyVault } from '../app/ports.js';
import { JsonServiceClient } from './aws/json.js';

const VERSION = 'v1k';
const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** KMS's replies as its JSON protocol carries them: blobs in base64. */
interface DataKeyReply {
  Plaintext?: string;
  CiphertextBlob?: string;
}

/** KMS (JSON 1.1, `TrentService`) through our AWS client. */
export function createKmsClient(options: { region?: string | undefined; endpoint?: string | undefined } = {}): JsonServiceClient {
  return new JsonServiceClient({ service: 'kms', name: 'KMS', targetPrefix: 'TrentService', version: '1.1' }, { ...options, requestTimeoutMs: 3_000 });
}

export interface KmsKeyVaultProps {
  /** The KMS key (id, ARN, alias name or alias ARN) that wraps every data key. */
  keyId: string;
  /** Where the key lives, for the default client. @default AWS_REGION */
  region?: string;
  /** @default a KMS client for `region` */
  client?: Pick<JsonServiceClient, 'send'>;
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
  private readonly client: Pick<JsonServiceClient, 'send'>;

  constructor(props: KmsKeyVaultProps) {
    this.keyId = props.keyId;
    this.client = props.client ?? createKmsClient({ region: props.region });
  }

  async seal(plaintext: Uint8Array, context: Record<string, string>): Promise<string> {
    const reply = await this.client.send<DataKeyReply>('GenerateDataKey', { KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } });
    const dataKey = Buffer.from(reply.Plaintext ?? '', 'base64');
    try {
      if (!reply.CiphertextBlob || dataKey.length !== DATA_KEY_BYTES) throw new Error('KMS returned no usable AES-256 data key.');
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
      cipher.setAAD(contextBytes(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const parts = [Buffer.from(reply.CiphertextBlob, 'base64'), iv, cipher.getAuthTag(), ciphertext];
      return [VERSION, ...parts.map((part) => part.toString('base64url'))].join('.');
    } finally {
      dataKey.fill(0);
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

    let reply: DataKeyReply;
    try {
      reply = await this.client.send<DataKeyReply>('Decrypt', { KeyId: this.keyId, CiphertextBlob: Buffer.from(wrappedKey, 'base64url'), EncryptionContext: { ...context } });
    } catch (error) {
      // KMS's answer to a wrong context, an altered blob or another key; anything else (throttling,
      // access denied) is an operational failure and is passed on as it is.
      if (error instanceof Error && error.name === 'InvalidCiphertextException') throw notOpening();
      throw error;
    }
    const dataKey = Buffer.from(reply.Plaintext ?? '', 'base64');
    if (dataKey.length !== DATA_KEY_BYTES) throw new Error('KMS returned no usable AES-256 data key.');
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, ivBytes);
      decipher.setAAD(contextBytes(context));
      decipher.setAuthTag(tagBytes);
      return new Uint8Array(Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]));
    } catch {
      throw notOpening();
    } finally {
      dataKey.fill(0);
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
