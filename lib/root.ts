import { randomUUID } from 'node:crypto';
import { createDocumentClient } from './adapters/dynamo-client.js';
import { DynamoCertificateStore } from './adapters/dynamo-certificate-store.js';
import { EmbeddedCa } from './adapters/embedded-ca.js';
import { FileCaKeyStore } from './adapters/file-ca-key-store.js';
import { inspectPem } from './adapters/pem.js';
import { SecretsManagerCaKeyStore } from './adapters/secrets-manager-ca-key-store.js';
import type { CertificateDeps } from './app/certificates.js';
import type { Clock } from './app/ports.js';
import type { CaPublication } from './adapters/crl-store.js';
import { DynamoCrlStore } from './adapters/dynamo-crl-store.js';
import { DynamoRevocationStore } from './adapters/dynamo-revocation-store.js';
import { sharedDnsZone } from './adapters/in-memory-dns-zone.js';
import { NetworkDomainProbe } from './adapters/network-domain-probe.js';
import { createSfnClient, SfnWorkflows } from './adapters/sfn-workflows.js';
import type { RevocationDeps } from './app/revocations.js';
import type { StepDeps, ValidationStepDeps } from './app/revocation-steps.js';
import type { DnsProvider } from './app/ports.js';
import { logger } from './http/logger.js';
import { ContentLetterInspector } from './adapters/content-letter-inspector.js';
import { PdfLetterTemplate } from './adapters/pdf-letter-template.js';
import { S3LetterStore } from './adapters/s3-letter-store.js';
import { S3EvidenceLinks, S3UploadSigner } from './adapters/s3-presign.js';
import type { LetterDeps, ProcessingDeps } from './app/letters.js';
import { X509CsrToolkit } from './adapters/csr-toolkit.js';
import { DynamoReissueStore } from './adapters/dynamo-reissue-store.js';
import { FileKeyVault } from './adapters/file-key-vault.js';
import { KmsKeyVault } from './adapters/kms-key-vault.js';
import type { ReissueIssueDeps, ReissueStepDeps, ReissueSubmitDeps } from './app/reissues.js';
import type { ReviewDeps } from './app/reviews.js';
import type { SweepDeps } from './app/sweeps.js';
import { DynamoSweepStore } from './adapters/dynamo-sweep-store.js';
import { readCaConfig, readClock, readKeyVaultConfig, readLetterConfig, readTableConfig, readValidationConfig, readWorkflowConfig } from './config.js';

/**
 * The composition root: each collaborator is built once per process, on first use, and reused
 * across invocations. Handlers import only the getters they need, so a bundle carries only those.
 */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

/** `base` with more collaborators, each built on first use; the prototype keeps base's getters lazy (a spread would build them all now). */
function withLazy<B extends object, E extends object>(base: B, extra: { [K in keyof E]: () => E[K] }): B & E {
  const properties = Object.fromEntries(Object.entries(extra).map(([key, make]) => [key, { get: make as () => unknown, enumerable: true }]));
  return Object.create(base, properties) as B & E;
}

interface RequestReads {
  certificates: DynamoCertificateStore;
  revocations: DynamoRevocationStore;
  reissues: DynamoReissueStore;
  clock: Clock;
}

/** A collaborator that is a plain value, for withLazy. */
const value =
  <T>(v: T) =>
  (): T =>
    v;

const tableConfig = /* @__PURE__ */ once(() => readTableConfig(process.env));
export const systemClock: Clock = readClock(process.env);

const documentClient = /* @__PURE__ */ once(() => createDocumentClient({ region: tableConfig().region, endpoint: tableConfig().dynamoEndpoint }));

const crlStore = /* @__PURE__ */ once(() => new DynamoCrlStore(documentClient(), tableConfig().tableName));
/** The embedded CA: signs certificates; with the table it also keeps revocations and the CRL, and publishes both. */
export const certificateAuthority = /* @__PURE__ */ once(() => {
  const ca = readCaConfig(process.env);
  const keys = ca.kind === 'file' ? new FileCaKeyStore(ca.dir) : new SecretsManagerCaKeyStore({ secretId: ca.secretId });
  return new EmbeddedCa(keys, process.env.TABLE_NAME ? crlStore() : undefined);
});
/** What the public routes read: the CA certificate and CRL as published, without the CA's key. */
export const caPublication: () => CaPublication = crlStore;
export const revocationAuthority = certificateAuthority;

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

export const revocationStore = /* @__PURE__ */ once(() => new DynamoRevocationStore(documentClient(), tableConfig().tableName));

/**
 * The stores and the clock, and nothing else: what the functions that only read (or answer from)
 * a request start from, so their bundles leave out the workflows, S3 and domain-probe clients,
 * and a revocation's function the reissue store (and the reverse).
 */
const certificateReads = /* @__PURE__ */ once((): Pick<RequestReads, 'certificates' | 'clock'> => ({
  get certificates() {
    return certificateStore();
  },
  clock: systemClock,
}));
export const revocationReads = /* @__PURE__ */ once(() => withLazy(certificateReads(), { revocations: revocationStore }));
export const reissueReads = /* @__PURE__ */ once(() => withLazy(certificateReads(), { reissues: reissueStore }));
/** Reviews and sweeps span both kinds of request. */
const requestReads = /* @__PURE__ */ once((): RequestReads => withLazy(revocationReads(), { reissues: reissueStore }));

const workflows = /* @__PURE__ */ once(() => {
  const config = readWorkflowConfig(process.env);
  return new SfnWorkflows(createSfnClient(config), { revocation: config.revocationStateMachineArn, reissue: config.reissueStateMachineArn });
});

const warn = (message: string, detail: Record<string, unknown>) => logger.warn(message, detail);

// Collaborators are getters: a function builds (and needs the configuration of) only what it uses.
export const revocationDeps = /* @__PURE__ */ once(
  (): RevocationDeps => withLazy(revocationReads(), { workflows, newId: value(() => `rev_${randomUUID().replaceAll('-', '')}`), warn: value(warn) }),
);

/** Without a hosted-DNS provider, automatic DNS falls back to the customer publishing the record. */
const noDnsProvider: DnsProvider = {
  upsertTxtRecord: async (name) => logger.warn('no DNS provider configured; the record must be published by the customer', { name }),
  deleteTxtRecord: async () => undefined,
};

const validationConfig = /* @__PURE__ */ once(() => readValidationConfig(process.env));
const domainProbe = /* @__PURE__ */ once(() => {
  const validation = validationConfig();
  return new NetworkDomainProbe({
    dns: { ...(validation.dnsResolvers ? { servers: validation.dnsResolvers } : {}) },
    http: { allowAddresses: validation.allowAddresses, ...(validation.httpPort ? { port: validation.httpPort } : {}) },
  });
});
const dnsProvider = (): DnsProvider => (validationConfig().dnsProvider === 'in-memory' ? sharedDnsZone : noDnsProvider);

/** The validation check: the probe and DNS, no workflows. */
export const validationStepDeps = /* @__PURE__ */ once(
  (): ValidationStepDeps => withLazy(revocationReads(), { probe: domainProbe, dns: dnsProvider, validationPollSeconds: () => validationConfig().pollSeconds }),
);
/** The wait steps: a wait already over completes its own task. */
export const stepDeps = /* @__PURE__ */ once((): StepDeps => withLazy(validationStepDeps(), { workflows }));

/** Only the Revoke task signs the CRL: the others leave the CA (X.509, ASN.1: ~170 KB) out. */
export const revokeStepDeps = /* @__PURE__ */ once(() => withLazy(revocationReads(), { ca: revocationAuthority }));

export const letterStore = /* @__PURE__ */ once(() => new S3LetterStore(readLetterConfig(process.env)));
const letterInspector = /* @__PURE__ */ once(() => new ContentLetterInspector());
const letterTemplateRenderer = /* @__PURE__ */ once(() => new PdfLetterTemplate());

export const letterDeps = /* @__PURE__ */ once((): LetterDeps => withLazy(revocationReads(), { letters: letterStore, workflows, warn: value(warn) }));

// Each letter function gets only its own extra collaborator: the template (PDF writer, font metrics),
// the upload signer (the presigned-POST client) or the inspector (sharp, pdf-lib in a worker).
export const letterProcessingDeps = /* @__PURE__ */ once((): ProcessingDeps => withLazy(letterDeps(), { inspector: letterInspector }));
export const letterTemplateDeps = /* @__PURE__ */ once(() => withLazy(revocationReads(), { template: letterTemplateRenderer }));
const uploadSigner = /* @__PURE__ */ once(() => new S3UploadSigner(readLetterConfig(process.env)));
// The slot needs the request and a signature only: no S3 client, no Step Functions.
export const letterUploadDeps = /* @__PURE__ */ once(() => withLazy(revocationReads(), { uploads: uploadSigner }));

export const reissueStore = /* @__PURE__ */ once(() => new DynamoReissueStore(documentClient(), tableConfig().tableName));
const csrToolkit = /* @__PURE__ */ once(() => new X509CsrToolkit());

const keyVault = /* @__PURE__ */ once(() => {
  const config = readKeyVaultConfig(process.env);
  return config.kind === 'file' ? new FileKeyVault(config.dir) : new KmsKeyVault({ keyId: config.keyId, region: config.region });
});

/** What the reissue workflow's wait, check and fail steps use: no CA, CSR toolkit or key vault (X.509, ASN.1, KMS). */
export const reissueStepDeps = /* @__PURE__ */ once(
  (): ReissueStepDeps =>
    withLazy(reissueReads(), {
      workflows,
      probe: domainProbe,
      dns: dnsProvider,
      newId: value(() => `ris_${randomUUID().replaceAll('-', '')}`),
      validationPollSeconds: () => validationConfig().pollSeconds,
      warn: value(warn),
    }),
);

// Submission and issue apart: neither bundle carries the other's collaborators (the CA and its
// secret client; the key vault's KMS client).
export const reissueSubmitDeps = /* @__PURE__ */ once((): ReissueSubmitDeps => withLazy(reissueStepDeps(), { csr: csrToolkit, vault: keyVault }));
export const reissueIssueDeps = /* @__PURE__ */ once((): ReissueIssueDeps => withLazy(reissueStepDeps(), { ca: certificateAuthority }));
/** The private-key download opens the sealed key: the vault, not the CA or the CSR toolkit. */
export const reissueKeyDeps = /* @__PURE__ */ once(() => withLazy(reissueReads(), { vault: keyVault }));

/**
 * Reviews span revocations (with links to their letters) and reissues. Each review function gets
 * only its extra collaborator: the letter links (S3 presigner) to read one, the workflows (Step
 * Functions) to decide one; the queue needs neither.
 */
export const reviewReadDeps = requestReads;
const evidenceLinks = /* @__PURE__ */ once(() => new S3EvidenceLinks(readLetterConfig(process.env)));
export const reviewLinkDeps = /* @__PURE__ */ once(() => withLazy(requestReads(), { links: evidenceLinks }));
export const reviewDeps = /* @__PURE__ */ once((): ReviewDeps => withLazy(requestReads(), { workflows, warn: value(warn) }));

/** The sweep: the due index, the stores it changes, and a look at upload slots it closes. */
export const sweepDeps = /* @__PURE__ */ once(
  (): SweepDeps => withLazy(requestReads(), { sweeps: sweepStore, letters: letterStore, log: value(logger) }),
);
const sweepStore = /* @__PURE__ */ once(() => new DynamoSweepStore(documentClient(), tableConfig().tableName));
