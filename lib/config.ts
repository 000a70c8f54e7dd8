/** Environment variable names: the CDK bind helpers set exactly these. */
export const ENV = {
  region: 'AWS_REGION',
  tableName: 'TABLE_NAME',
  dynamoEndpoint: 'DYNAMODB_ENDPOINT',
  caSecretId: 'CA_SECRET_ID',
  caKeyDir: 'CA_KEY_DIR',
  sfnEndpoint: 'SFN_ENDPOINT',
  revocationStateMachineArn: 'REVOCATION_STATE_MACHINE_ARN',
  dnsResolvers: 'DNS_RESOLVERS',
  dnsProvider: 'DNS_PROVIDER',
  probeAllowAddresses: 'PROBE_ALLOW_ADDRESSES',
  probeHttpPort: 'PROBE_HTTP_PORT',
  validationPollSeconds: 'VALIDATION_POLL_SECONDS',
  timeScale: 'TIME_SCALE',
  s3Endpoint: 'S3_ENDPOINT',
  intakeBucket: 'INTAKE_BUCKET',
  evidenceBucket: 'EVIDENCE_BUCKET',
  reissueStateMachineArn: 'REISSUE_STATE_MACHINE_ARN',
  keyVaultKeyId: 'KEY_VAULT_KEY_ID',
  keyVaultDir: 'KEY_VAULT_DIR',
} as const;

type Env = Record<string, string | undefined>;

/**
 * Configuration is read per collaborator, when it is first built: a function is given only the
 * variables of what it is granted, so nothing may demand the rest. A missing one fails loudly.
 */
export function readTableConfig(env: Env) {
  return {
    region: required(env, ENV.region),
    tableName: required(env, ENV.tableName),
    /** DynamoDB Local in the local runtime; unset in AWS. */
    dynamoEndpoint: env[ENV.dynamoEndpoint] || undefined,
  };
}

/** Where the CA's key lives: a folder locally, a Secrets Manager secret in AWS. */
export function readCaConfig(env: Env): { kind: 'file'; dir: string } | { kind: 'secret'; secretId: string } {
  const dir = env[ENV.caKeyDir];
  if (dir) return { kind: 'file', dir };
  return { kind: 'secret', secretId: required(env, ENV.caSecretId, `or ${ENV.caKeyDir}`) };
}

function required(env: Env, name: string, hint = ''): string {
  const value = env[name];
  if (!value) throw new Error(`Missing environment variable ${name}${hint ? ` (${hint})` : ''}.`);
  return value;
}

export function readWorkflowConfig(env: Env) {
  return {
    region: required(env, ENV.region),
    /** The local Step Functions endpoint; unset in AWS. */
    endpoint: env[ENV.sfnEndpoint] || undefined,
    /** Read when a workflow is started: a task that only sends callbacks cannot be given it (a cycle). */
    revocationStateMachineArn: () => required(env, ENV.revocationStateMachineArn),
    reissueStateMachineArn: () => required(env, ENV.reissueStateMachineArn),
  };
}

const list = (value: string | undefined) => (value ? value.split(',').map((v) => v.trim()).filter(Boolean) : undefined);

/**
 * Domain validation: resolvers to ask (default the system's), the platform's DNS provider, and
 * — for the local runtime and tests only — loopback addresses the HTTP probe may reach.
 */
export function readValidationConfig(env: Env) {
  const port = env[ENV.probeHttpPort];
  return {
    dnsResolvers: list(env[ENV.dnsResolvers]),
    dnsProvider: env[ENV.dnsProvider] === 'in-memory' ? ('in-memory' as const) : ('none' as const),
    allowAddresses: list(env[ENV.probeAllowAddresses]) ?? [],
    httpPort: port ? Number(port) : undefined,
    pollSeconds: Number(env[ENV.validationPollSeconds] ?? 300),
  };
}

/**
 * The service clock. Locally, `TIME_SCALE` below 1 makes time run faster (0.0001: 3 days pass in
 * 26 s) for demos and tests, consistently with the local workflow engine's shortened waits.
 */
export function readClock(env: Env): () => Date {
  const scale = Number(env[ENV.timeScale] ?? 1);
  if (!(scale > 0) || scale === 1) return () => new Date();
  const origin = Date.now();
  return () => new Date(origin + (Date.now() - origin) / scale);
}

/** The letter buckets (s3rver locally); each name is required only when that bucket is used. */
export function readLetterConfig(env: Env) {
  return {
    region: required(env, ENV.region),
    endpoint: env[ENV.s3Endpoint] || undefined,
    intakeBucket: () => required(env, ENV.intakeBucket),
    evidenceBucket: () => required(env, ENV.evidenceBucket),
  };
}

/**
 * Where private keys are sealed: a folder with a local master key (FileKeyVault) locally, a KMS
 * key (KmsKeyVault, envelope encryption) in AWS. KEY_VAULT_DIR wins when both are set.
 */
export function readKeyVaultConfig(env: Env): { kind: 'file'; dir: string } | { kind: 'kms'; keyId: string; region: string } {
  const dir = env[ENV.keyVaultDir];
  if (dir) return { kind: 'file', dir };
  const keyId = env[ENV.keyVaultKeyId];
  if (!keyId) throw new Error(`Missing environment variable ${ENV.keyVaultKeyId} (or ${ENV.keyVaultDir}).`);
  return { kind: 'kms', keyId, region: required(env, ENV.region) };
}
