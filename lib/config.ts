/** Environment variable names: the CDK bind helpers set exactly these. */
export const ENV = {
  region: 'AWS_REGION',
  tableName: 'TABLE_NAME',
  dynamoEndpoint: 'DYNAMODB_ENDPOINT',
  caSecretId: 'CA_SECRET_ID',
  caKeyDir: 'CA_KEY_DIR',
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
