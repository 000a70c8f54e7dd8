import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectLockRetention, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { TABLE_INDEXES, TABLE_KEYS, TTL_ATTRIBUTE } from '../lib/adapters/table-schema.js';
import { acknowledge } from './constructs/nag.js';

/** Where each letter bucket's server access logs go in the access-log bucket. */
export const ACCESS_LOG_PREFIXES = { letterIntake: 'letter-intake/', letterEvidence: 'letter-evidence/' } as const;
/** How long server access logs are kept. */
export const ACCESS_LOG_RETENTION = Duration.days(365);

export interface StatefulProps {
  /** The console's origin (`https://host[:port]`), the only one that may POST uploads from a browser. */
  consoleOrigin: string;
  /** How long each evidence object version is locked (Object Lock, GOVERNANCE mode). */
  evidenceRetention: Duration;
}

/**
 * What outlives a deployment: the certificate table, the letters intake and evidence buckets
 * and the CA's secret, each with its own customer-managed key, and the key vault's key. Handed to the stateless side as
 * typed props; everything here is retained when the stack is deleted. Both letter buckets log
 * every request (S3 server access logs) to an access-log bucket, each under its own prefix.
 */
export class Stateful extends Construct {
  readonly table: Table;
  /** The target of both letter buckets' server access logs. */
  readonly accessLogs: Bucket;
  readonly letterIntake: Bucket;
  readonly letterEvidence: Bucket;
  readonly caSecret: Secret;
  /** Wraps the data keys that seal generated private keys (KmsKeyVault). */
  readonly keyVaultKey: Key;

  constructor(scope: Construct, id: string, props: StatefulProps) {
    super(scope, id);
    // S3 log delivery is authorised by the target's bucket policy (the access-log bucket has ACLs
    // disabled), not by the LogDeliveryWrite ACL CDK would otherwise set; the flag must be set
    // before the buckets exist.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    // Built from the same schema the local runtime gives DynamoDB Local (every key a string).
    const tableKey = new Key(this, 'TableKey', { description: 'certrevoke certificate table', enableKeyRotation: true });
    const key = (name: string) => ({ name, type: AttributeType.STRING });
    // A Table, not a TableV2: TableV2 (a global table) cannot render a customer-managed key in
    // a region-agnostic stack, and the stack stays agnostic so synth needs no account.
    this.table = new Table(this, 'Table', {
      partitionKey: key(TABLE_KEYS.partitionKey),
      sortKey: key(TABLE_KEYS.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: tableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of Object.values(TABLE_INDEXES)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: key(index.partitionKey),
        sortKey: key(index.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }

    // S3 server access logs of the letter buckets. A log target takes SSE-S3 only (S3's log
    // delivery cannot use a KMS key), so this is the one bucket without its own key; CDK gives S3's
    // logging service PutObject on each source's prefix, from that source bucket only (bucket
    // policy, since ACLs are disabled). Kept a year, then expired; retained with the stack.
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: ACCESS_LOG_RETENTION }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.accessLogs, 'AwsSolutions-S1', 'This is the server access log target of the letter buckets: logging its own requests into itself would log the log deliveries without end.');

    // Uploads are short-lived: the letter processor copies accepted bytes to the evidence
    // bucket, so whatever is still here after a day is abandoned or rejected. Everything here is
    // under `uploads/`, so the bucket-wide rule is the rule for `uploads/`.
    // Browsers POST the scan straight here from the console (presigned POST): CORS lets that
    // origin, and only it, send the form and read the reply.
    const lettersKey = new Key(this, 'LettersKey', { description: 'certrevoke letters intake', enableKeyRotation: true });
    this.letterIntake = new Bucket(this, 'LetterIntake', {
      ...secureBucket(lettersKey),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: ACCESS_LOG_PREFIXES.letterIntake,
      cors: [
        {
          allowedOrigins: [props.consoleOrigin],
          allowedMethods: [HttpMethods.POST],
          exposedHeaders: ['ETag', 'Location'],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        {
          id: 'expire-uploads',
          expiration: Duration.days(1),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        // Expiring a versioned object leaves a delete marker; drop it once nothing is behind it.
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Accepted letters, kept unchanged: every version is locked for the retention period
    // (GOVERNANCE: only a principal granted s3:BypassGovernanceRetention, which no function is,
    // could shorten it), and the processor writes with If-None-Match so nothing is overwritten.
    const evidenceKey = new Key(this, 'EvidenceKey', { description: 'certrevoke letters evidence', enableKeyRotation: true });
    this.letterEvidence = new Bucket(this, 'LetterEvidence', {
      ...secureBucket(evidenceKey),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: ACCESS_LOG_PREFIXES.letterEvidence,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.governance(props.evidenceRetention),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Write-once by policy, not only by the processor's habit: a PutObject without
    // `If-None-Match: *` is refused for everyone, so no object can be overwritten by a new version.
    this.letterEvidence.addToResourcePolicy(
      new PolicyStatement({
        sid: 'WriteOnceOnlyWithIfNoneMatch',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.letterEvidence.arnForObjects('*')],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );

    // CloudFormation cannot create an empty secret, so it gets a generated placeholder value;
    // SecretsManagerCaKeyStore treats anything that is not CA material as absent and stores the
    // CA on first use. Losing this secret loses the CA, hence RETAIN.
    const caKey = new Key(this, 'CaKey', { description: 'certrevoke embedded CA secret', enableKeyRotation: true });
    this.caSecret = new Secret(this, 'CaSecret', {
      description: 'certrevoke embedded CA: certificate and private key (JSON), written by the CA on first use',
      encryptionKey: caKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.caSecret,
      'AwsSolutions-SMG4',
      "The secret holds the embedded CA's certificate and private key: Secrets Manager rotation cannot replace a CA key without re-issuing every certificate it signed, so rotating it is a CA key ceremony, not a scheduled rotation.",
    );

    // The key vault (KmsKeyVault): generated private keys are sealed with data keys this key
    // wraps, each bound to its request by the encryption context. Used directly by the functions
    // granted it (bindKeyVault), through no other service; its policy is the default one, which
    // leaves access to IAM policies. Losing it loses every sealed key not yet downloaded, hence
    // RETAIN.
    this.keyVaultKey = new Key(this, 'KeyVaultKey', {
      description: 'certrevoke key vault: generated private keys (envelope encryption)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}

/** The baseline of every bucket here: its own KMS key, private, TLS 1.2+ only, versioned. */
function secureBucket(encryptionKey: Key) {
  return {
    encryption: BucketEncryption.KMS,
    encryptionKey,
    bucketKeyEnabled: true,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
  };
}
