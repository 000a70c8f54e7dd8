import { JsonServiceClient } from './aws/json.js';
import { parseCaMaterial, type CaKeyStore, type CaMaterial } from './embedded-ca.js';

/**
 * The version id of the CA material. Every writer uses the same one: Secrets Manager creates a
 * version for a token once, ignores a repeat with the same value, and refuses a different value
 * with ResourceExistsException, so of two cold starts racing only one CA is ever stored.
 */
export const CA_SECRET_VERSION_TOKEN = 'certrevoke-ca-v1-0000-0000-000000000000';

/** Secrets Manager (JSON 1.1) through our AWS client. */
export function createSecretsManagerClient(options: { region?: string | undefined; endpoint?: string | undefined } = {}): JsonServiceClient {
  return new JsonServiceClient({ service: 'secretsmanager', name: 'SecretsManager', targetPrefix: 'secretsmanager', version: '1.1' }, { ...options, requestTimeoutMs: 3_000 });
}

export interface SecretsManagerCaKeyStoreOptions {
  /** Name or ARN of the secret the stack creates for the CA. */
  secretId: string;
  /** Created once by the composition root; defaults to a client for the Lambda's region. */
  client?: Pick<JsonServiceClient, 'send'>;
}

/**
 * Keeps the embedded CA as JSON in a Secrets Manager secret. CloudFormation cannot create a
 * secret without a value, so a current value that is not CA material (a generated placeholder)
 * counts as absent, like a secret with no value at all.
 */
export class SecretsManagerCaKeyStore implements CaKeyStore {
  private readonly secretId: string;
  private readonly client: Pick<JsonServiceClient, 'send'>;

  constructor(options: SecretsManagerCaKeyStoreOptions) {
    this.secretId = options.secretId;
    this.client = options.client ?? createSecretsManagerClient();
  }

  async load(): Promise<CaMaterial | undefined> {
    return this.read({ VersionStage: 'AWSCURRENT' });
  }

  async saveIfAbsent(material: CaMaterial): Promise<CaMaterial> {
    try {
      await this.client.send('PutSecretValue', {
        SecretId: this.secretId,
        ClientRequestToken: CA_SECRET_VERSION_TOKEN,
        SecretString: JSON.stringify(material),
      });
      return material;
    } catch (error) {
      if (errorName(error) !== 'ResourceExistsException') throw error;
    }
    // Another writer created the version first: its material is the CA. Read that version by
    // id rather than AWSCURRENT, which an operator may have moved since.
    const stored = await this.read({ VersionId: CA_SECRET_VERSION_TOKEN });
    if (stored === undefined) throw new Error(`Secret ${this.secretId} has a CA version that is not CA material.`);
    return stored;
  }

  private async read(version: { VersionStage: string } | { VersionId: string }): Promise<CaMaterial | undefined> {
    try {
      const output = await this.client.send<{ SecretString?: string }>('GetSecretValue', { SecretId: this.secretId, ...version });
      return output.SecretString === undefined ? undefined : parseCaMaterial(output.SecretString);
    } catch (error) {
      // The secret exists but has no value yet (no AWSCURRENT version).
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }
}

/** By the name the service gave it. */
function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
