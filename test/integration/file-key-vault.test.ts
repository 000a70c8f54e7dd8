import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileKeyVault } from '../../lib/adapters/file-key-vault.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certrevoke-vault-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const secret = new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\nMIG...\n-----END PRIVATE KEY-----\n');
const context = { reissueId: 'r-1', certificateId: 'c-1' };

describe('FileKeyVault', () => {
  it('opens what it sealed, with the context given in any key order', async () => {
    const vault = new FileKeyVault(join(dir, 'keys'));
    const sealed = await vault.seal(secret, context);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(Buffer.from(sealed).includes(Buffer.from('PRIVATE KEY'))).toBe(false);
    const reopened = new FileKeyVault(join(dir, 'keys'));
    await expect(reopened.open(sealed, { certificateId: 'c-1', reissueId: 'r-1' })).resolves.toEqual(secret);
    expect((await stat(join(dir, 'keys', 'master.key'))).mode & 0o777).toBe(0o600);
  });

  it('seals the same plaintext differently each time', async () => {
    const vault = new FileKeyVault(dir);
    expect(await vault.seal(secret, context)).not.toBe(await vault.seal(secret, context));
  });

  it('refuses to open when the context differs', async () => {
    const vault = new FileKeyVault(dir);
    const sealed = await vault.seal(secret, context);
    await expect(vault.open(sealed, { ...context, reissueId: 'r-2' })).rejects.toThrow(/does not open/);
    await expect(vault.open(sealed, { reissueId: 'r-1' })).rejects.toThrow(/does not open/);
  });

  it('refuses to open when the ciphertext was altered', async () => {
    const vault = new FileKeyVault(dir);
    const [version, iv, tag, ciphertext] = (await vault.seal(secret, context)).split('.');
    const bytes = Buffer.from(ciphertext!, 'base64url');
    bytes.writeUInt8(bytes.readUInt8(0) ^ 0x01, 0);
    await expect(vault.open([version, iv, tag, bytes.toString('base64url')].join('.'), context)).rejects.toThrow(/does not open/);
    await expect(vault.open('v2.a.b.c', context)).rejects.toThrow(/v1 format/);
  });

  it('converges on one master key when two vaults start over one empty folder', async () => {
    const folder = join(dir, 'race');
    const vaults = Array.from({ length: 8 }, () => new FileKeyVault(folder));
    const sealed = await Promise.all(vaults.map((vault, index) => vault.seal(secret, { index: String(index) })));
    const key = await readFile(join(folder, 'master.key'));
    expect(key).toHaveLength(32);
    // Every vault sealed with the stored key: any one of them opens every value.
    for (const [index, value] of sealed.entries()) {
      await expect(new FileKeyVault(folder).open(value, { index: String(index) })).resolves.toEqual(secret);
      await expect(vaults[0]!.open(value, { index: String(index) })).resolves.toEqual(secret);
    }
  });
});
