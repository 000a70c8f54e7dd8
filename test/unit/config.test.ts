import { describe, expect, it } from 'vitest';
import { readCaConfig, readTableConfig } from '../../lib/config.js';

describe('configuration', () => {
  it('reads the table settings of a function granted only the table (no CA variables)', () => {
    expect(readTableConfig({ AWS_REGION: 'eu-west-1', TABLE_NAME: 't' })).toEqual({ region: 'eu-west-1', tableName: 't', dynamoEndpoint: undefined });
  });

  it('reads the CA settings of a function granted only the CA secret (no TABLE_NAME)', () => {
    expect(readCaConfig({ CA_SECRET_ID: 'arn:secret' })).toEqual({ kind: 'secret', secretId: 'arn:secret' });
    expect(readCaConfig({ CA_KEY_DIR: '/data/ca' })).toEqual({ kind: 'file', dir: '/data/ca' });
  });

  it('fails loudly, naming the variable, when one is missing', () => {
    expect(() => readTableConfig({ AWS_REGION: 'eu-west-1' })).toThrow('Missing environment variable TABLE_NAME');
    expect(() => readCaConfig({})).toThrow(/CA_SECRET_ID \(or CA_KEY_DIR\)/);
  });
});

describe('letter configuration', () => {
  it('needs a bucket name only when that bucket is used', async () => {
    const { readLetterConfig } = await import('../../lib/config.js');
    const config = readLetterConfig({ AWS_REGION: 'eu-west-1', EVIDENCE_BUCKET: 'evidence' });
    expect(config.evidenceBucket()).toBe('evidence');
    expect(() => config.intakeBucket()).toThrow('Missing environment variable INTAKE_BUCKET');
  });
});

describe('workflow configuration', () => {
  it('lets a callback-only task run without the state machine ARN, which only starting needs', async () => {
    const { readWorkflowConfig } = await import('../../lib/config.js');
    const config = readWorkflowConfig({ AWS_REGION: 'eu-west-1' });
    expect(() => config.revocationStateMachineArn()).toThrow('Missing environment variable REVOCATION_STATE_MACHINE_ARN');
  });
});

describe('key vault configuration', () => {
  it('uses the local folder when KEY_VAULT_DIR is set, even beside a KMS key', async () => {
    const { readKeyVaultConfig } = await import('../../lib/config.js');
    expect(readKeyVaultConfig({ KEY_VAULT_DIR: '/data/keys' })).toEqual({ kind: 'file', dir: '/data/keys' });
    expect(readKeyVaultConfig({ KEY_VAULT_DIR: '/data/keys', KEY_VAULT_KEY_ID: 'arn:key', AWS_REGION: 'eu-west-1' })).toEqual({ kind: 'file', dir: '/data/keys' });
  });

  it('uses the KMS key and region otherwise', async () => {
    const { readKeyVaultConfig } = await import('../../lib/config.js');
    expect(readKeyVaultConfig({ KEY_VAULT_KEY_ID: 'arn:key', AWS_REGION: 'eu-west-1' })).toEqual({ kind: 'kms', keyId: 'arn:key', region: 'eu-west-1' });
    expect(() => readKeyVaultConfig({ KEY_VAULT_KEY_ID: 'arn:key' })).toThrow('Missing environment variable AWS_REGION');
  });

  it('fails loudly, naming both variables, when neither is set', async () => {
    const { readKeyVaultConfig } = await import('../../lib/config.js');
    expect(() => readKeyVaultConfig({ AWS_REGION: 'eu-west-1' })).toThrow(/KEY_VAULT_KEY_ID \(or KEY_VAULT_DIR\)/);
    expect(() => readKeyVaultConfig({ KEY_VAULT_DIR: '' })).toThrow(/KEY_VAULT_KEY_ID.*KEY_VAULT_DIR/);
  });
});

describe('reissue workflow configuration', () => {
  it('reads the reissue state machine ARN only when a reissue is started', async () => {
    const { readWorkflowConfig } = await import('../../lib/config.js');
    expect(readWorkflowConfig({ AWS_REGION: 'eu-west-1', REISSUE_STATE_MACHINE_ARN: 'arn:sm' }).reissueStateMachineArn()).toBe('arn:sm');
    expect(() => readWorkflowConfig({ AWS_REGION: 'eu-west-1' }).reissueStateMachineArn()).toThrow('Missing environment variable REISSUE_STATE_MACHINE_ARN');
  });
});
