import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCaMaterial, type CaKeyStore, type CaMaterial } from './embedded-ca.js';

/**
 * Keeps the embedded CA in a folder (the local runtime's): `ca.json` holds the certificate and
 * key and is the only file read back; `ca.pem` and `ca-key.pem` are copies for people and tools
 * (`openssl verify -CAfile ca.pem`). Files holding the key are mode 0600.
 */
export class FileCaKeyStore implements CaKeyStore {
  private readonly materialFile: string;

  constructor(private readonly dir: string) {
    this.materialFile = join(dir, 'ca.json');
  }

  async load(): Promise<CaMaterial | undefined> {
    let json: string;
    try {
      json = await readFile(this.materialFile, 'utf8');
    } catch (error) {
      if (isErrno(error, 'ENOENT')) return undefined;
      throw error;
    }
    const material = parseCaMaterial(json);
    if (material === undefined) throw new Error(`${this.materialFile} does not hold CA material.`);
    return material;
  }

  /**
   * Race-safe across processes: the material is written in full to a private temporary file,
   * then published with link(2), which creates `ca.json` only if it does not exist (like the
   * `wx` flag) and atomically, so a process losing the race never reads a half-written file.
   */
  async saveIfAbsent(material: CaMaterial): Promise<CaMaterial> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temporary = join(this.dir, `.ca.json.${randomUUID()}.tmp`);
    let stored = material;
    try {
      await writeFile(temporary, JSON.stringify(material), { mode: 0o600, flag: 'wx' });
      try {
        await link(temporary, this.materialFile);
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) throw error;
        const existing = await this.load();
        if (existing === undefined) throw new Error(`${this.materialFile} vanished while being read.`);
        stored = existing;
      }
    } finally {
      await rm(temporary, { force: true });
    }
    await this.writeCopy('ca.pem', stored.certificatePem, 0o644);
    await this.writeCopy('ca-key.pem', stored.privateKeyPkcs8Pem, 0o600);
    return stored;
  }

  /** Whole-file replace (write then rename), so a reader sees the old copy or the new one. */
  private async writeCopy(name: string, content: string, mode: number): Promise<void> {
    const temporary = join(this.dir, `.${name}.${randomUUID()}.tmp`);
    try {
      await writeFile(temporary, content, { mode, flag: 'wx' });
      await rename(temporary, join(this.dir, name));
    } finally {
      await rm(temporary, { force: true });
    }
  }
}

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
