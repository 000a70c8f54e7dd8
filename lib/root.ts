import { randomUUID } from 'node:crypto';
import { createDocumentClient } from './adapters/dynamo-client.js';
import { DynamoCertificateStore } from './adapters/dynamo-certificate-store.js';
import { EmbeddedCa } from './adapters/embedded-ca.js';
import { FileCaKeyStore } from './adapters/file-ca-key-store.js';
import { inspectPem } from './adapters/pem.js';
import { SecretsManagerCaKeyStore } from './adapters/secrets-manager-ca-key-store.js';
import type { CertificateDeps } from './app/certificates.js';
import type { CertificateAuthority, Clock } from './app/ports.js';
import { readCaConfig, readTableConfig } from './config.js';

/**
 * The composition root: each collaborator is built once per process, on first use, and reused
 * across invocations. Handlers import only the getters they need, so a bundle carries only those.
 */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

const tableConfig = /* @__PURE__ */ once(() => readTableConfig(process.env));
export const systemClock: Clock = () => new Date();

const documentClient = /* @__PURE__ */ once(() => createDocumentClient({ region: tableConfig().region, endpoint: tableConfig().dynamoEndpoint }));

export const certificateAuthority = /* @__PURE__ */ once((): CertificateAuthority => {
  const ca = readCaConfig(process.env);
  return new EmbeddedCa(ca.kind === 'file' ? new FileCaKeyStore(ca.dir) : new SecretsManagerCaKeyStore({ secretId: ca.secretId }));
});

export const certificateStore = /* @__PURE__ */ once(() => new DynamoCertificateStore(documentClient(), tableConfig().tableName));

export const certificateDeps = /* @__PURE__ */ once(
  (): CertificateDeps => ({
    store: certificateStore(),
    ca: certificateAuthority(),
    clock: systemClock,
    newId: () => `crt_${randomUUID().replaceAll('-', '')}`,
    inspectPem,
  }),
);
