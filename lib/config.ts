/** Process configuration, read once from the environment; a missing variable fails loudly. */
export interface Config {
  region: string;
  tableName: string;
  /** DynamoDB Local in the local runtime; unset in AWS. */
  dynamoEndpoint?: string | undefined;
  /** Where the CA's key lives: a folder locally, a Secrets Manager secret in AWS. */
  ca: { kind: 'file'; dir: string } | { kind: 'secret'; secretId: string };
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const ca = env.CA_KEY_DIR
    ? ({ kind: 'file', dir: env.CA_KEY_DIR } as const)
    : ({ kind: 'secret', secretId: required(env, 'CA_SECRET_ID', 'or CA_KEY_DIR') } as const);
  return {
    region: required(env, 'AWS_REGION'),
    tableName: required(env, 'TABLE_NAME'),
    dynamoEndpoint: env.DYNAMODB_ENDPOINT || undefined,
    ca,
  };
}

function required(env: Record<string, string | undefined>, name: string, hint = ''): string {
  const value = env[name];
  if (!value) throw new Error(`Missing environment variable ${name}${hint ? ` (${hint})` : ''}.`);
  return value;
}
