import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyVault } from '../app/ports.js';

const VERSION = 'v1';
const MASTER_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Envelope encryption on one machine: a 32-byte master key in `dir/master.key` (0600, created on
 * first use), AES-256-GCM with a fresh IV per seal and the context bound as additional data, so a
 * sealed key opens only for the record it was sealed for. Sealed form: `v1.<iv>.<tag>.<ciphertext>`
 * (base64url).
 */
export class FileKeyVault implements KeyVault {
  private readonly keyFile: string;
  private masterKey: Promise<Buffer> | undefined;

  constructor(private readonly dir: string) {
    this.keyFile = join(dir, 'master.key');
  }

  async seal(plaintext: Uint8Array, context: Record<string, string>): Promise<string> {
    const key = await this.loadKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(contextBytes(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  async open(sealed: string, context: Record<string, string>): Promise<Uint8Array> {
    const [version, iv, tag, ciphertext, ...rest] = sealed.split('.');
    if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined || rest.length > 0) {
      throw new Error('The sealed value is not in the v1 format.');
    }
    const ivBytes = Buffer.from(iv, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) throw new Error('The sealed value is malformed.');
    const decipher = createDecipheriv('aes-256-gcm', await this.loadKey(), ivBytes);
    decipher.setAAD(contextBytes(context));
    decipher.setAuthTag(tagBytes);
    try {
      return new Uint8Array(Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]));
    } catch {
      throw new Error('The sealed value does not open: it was altered, or sealed with another key or context.');
    }
  }

  /** One read per instance; a failed load is forgotten so the next call retries. */
  private loadKey(): Promise<Buffer> {
    this.masterKey ??= this.readOrCreateKey().catch((error: unknown) => {
      this.masterKey = undefined;
      throw error;
    });
    return this.masterKey;
  }

  /**
   * Race-safe across processes, like FileCaKeyStore: the key is written in full to a private
   * temporary file and published with link(2), which fails with EEXIST when another process
   * published first; the loser then reads the winner's key, so every process seals with one key.
   */
  private async readOrCreateKey(): Promise<Buffer> {
    const existing = await this.readKey();
    if (existing !== undefined) return existing;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temporary = join(this.dir, `.master.key.${randomUUID()}.tmp`);
    try {
      await writeFile(temporary, randomBytes(MASTER_KEY_BYTES), { mode: 0o600, flag: 'wx' });
      try {
        await link(temporary, this.keyFile);
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) throw error;
      }
    } finally {
      await rm(temporary, { force: true });
    }
    const stored = await this.readKey();
    if (stored === undefined) throw new Error(`${this.keyFile} vanished while being created.`);
    return stored;
  }

  private async readKey(): Promise<Buffer | undefined> {
    let key: Buffer;
    try {
      key = await readFile(this.keyFile);
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    if (key.length !== MASTER_KEY_BYTES) throw new Error(`${this.keyFile} does not hold a ${MASTER_KEY_BYTES}-byte key.`);
    return key;
  }
}

/**
 * The context as JSON sorted by key: the same context always binds the same bytes. Pairs, not an
 * object, because JavaScript orders integer-like object keys numerically whatever the sort.
 */
function contextBytes(context: Record<string, string>): Buffer {
  const pairs = Object.keys(context)
    .sort()
    .map((key) => [key, context[key]]);
  return Buffer.from(JSON.stringify(pairs), 'utf8');
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
