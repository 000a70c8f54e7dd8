import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import aslValidator from 'asl-validator';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AssetManifestArtifact } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { HandlerName } from '../../infra/api.js';
import { buildApp, DEFAULT_EVIDENCE_RETENTION_DAYS } from '../../infra/app.js';
import { PROJECT_ROOT } from '../../infra/constructs/function.js';
import { LETTER_PROCESSOR_ENTRY } from '../../infra/constructs/letter-processing.js';
import { SWEEP_ENTRY } from '../../infra/constructs/sweep-schedule.js';
import { PUBLISH_CA_ENTRY } from '../../infra/constructs/ca-publisher.js';
import { PUBLISH_EVERY_MS } from '../../lib/adapters/embedded-ca.js';
import { REISSUE_DEFINITION, type ReissueTask } from '../../infra/constructs/reissue-workflow.js';
import { REVOCATION_DEFINITION, type RevocationTask } from '../../infra/constructs/revocation-workflow.js';
import { REISSUE_WORKFLOW, REVOCATION_WORKFLOW, TRANSIENT_TASK_ERRORS } from '../../infra/workflows/index.js';
import { CA_PARTITION, TABLE_INDEXES, TABLE_KEYS, TTL_ATTRIBUTE } from '../../lib/adapters/table-schema.js';
import { ROUTES } from '../../lib/http/contract.js';

/**
 * The app as `cdk synth` builds it (same feature flags from cdk.json), minus esbuild: bundling
 * is skipped for every stack, so these tests read templates without building code.
 */
const cdkContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: object }).context;

function synth(context: Record<string, string | number> = {}) {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...context } });
  const built = buildApp(app);
  const template = Template.fromStack(built.stack);
  const id = (construct: IConstruct) => built.stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return { ...built, app, template, id };
}

const { app, stack, stateful, revocation, reissue, api, letters, sweep, caPublisher, template, id, console: hosting } = synth();

/** The letter processor: fed by the uploads queue, not a route nor a workflow task. */
const PROCESSOR = 'process-letter';
/** The hourly expiry sweep: invoked by an EventBridge schedule, not a route nor a workflow task (run-sweep is its route). */
const SWEEPER = 'scheduled-sweep';
/** Every Lambda of the app: an API handler of ROUTES, a task of the revocation or reissue workflow, the letter processor or the scheduled sweep. */
/** Publishes the CA certificate and re-signs the CRL: run by a deploy-time trigger and a schedule (CaPublisher). */
const PUBLISHER = 'publish-ca';
type FunctionName = HandlerName | RevocationTask | ReissueTask | typeof PROCESSOR | typeof SWEEPER | typeof PUBLISHER;

// The access each function is meant to have: the specification, written out independently of
// the tables in infra/api.ts, revocation-workflow.ts and reissue-workflow.ts. A handler added to
// ROUTES fails the first test until listed here.
const TASKS: RevocationTask[] = ['revocation-await-callback', 'revocation-check-validation', 'revocation-revoke', 'revocation-fail'];
const REISSUE_TASKS: ReissueTask[] = ['reissue-check-validation', 'reissue-await-review', 'reissue-issue', 'reissue-fail'];
const TABLE_READERS: FunctionName[] = ['get-certificate', 'list-certificates', 'download-certificate', 'certificate-events', 'get-revocation', 'list-reviews', 'get-review', 'letter-template', 'get-reissue'];
const TABLE_WRITERS: FunctionName[] = [
  'register-certificate',
  'delete-certificate',
  'submit-revocation',
  'check-validation',
  'decide-review',
  'letter-upload',
  'submit-reissue',
  // Destroys the sealed key once it is downloaded.
  'reissue-private-key',
  // The sweep, on demand and hourly: expires, closes slots and frees locks by conditional writes.
  'run-sweep',
  SWEEPER,
  PROCESSOR,
  PUBLISHER,
  ...TASKS,
  ...REISSUE_TASKS,
];
/** The public CA routes: one GetItem, only in the CA's partition (the published certificate and CRL). */
const PUBLICATION_READERS: FunctionName[] = ['get-ca-certificate', 'get-crl'];
/** Sign with the CA: read its secret, never write it. */
const CA_SIGNERS: FunctionName[] = ['register-certificate', 'revocation-revoke', 'reissue-issue'];
/** Creates the CA (writes its secret once): the publisher only. */
const CA_CREATORS: FunctionName[] = [PUBLISHER];
const CA_USERS: FunctionName[] = [...CA_SIGNERS, ...CA_CREATORS];
/** May start executions of the revocation state machine (and get REVOCATION_STATE_MACHINE_ARN). */
const WORKFLOW_STARTERS: FunctionName[] = ['submit-revocation', 'decide-review', PROCESSOR];
/** May start executions of the reissue state machine (and get REISSUE_STATE_MACHINE_ARN). */
const REISSUE_STARTERS: FunctionName[] = ['submit-reissue', 'decide-review'];
/** May complete, fail or heartbeat a waiting task by its token (await-callback / await-review: its own, when nothing is left to wait for). */
const TASK_RESPONDERS: FunctionName[] = ['decide-review', PROCESSOR, 'revocation-await-callback', 'reissue-await-review'];
/** The key vault's key: who may wrap a new data key (seal a generated private key), who may unwrap one (open it). */
const KEY_VAULT_SEALERS: FunctionName[] = ['submit-reissue'];
const KEY_VAULT_OPENERS: FunctionName[] = ['reissue-private-key'];
const NO_ACCESS: FunctionName[] = ['health', 'get-openapi'];
/** The letter buckets: who does what, each on its own prefix (`uploads/*`, `evidence/*`). */
const INTAKE_UPLOADERS: FunctionName[] = ['letter-upload'];
const INTAKE_PROCESSORS: FunctionName[] = [PROCESSOR];
/** Look under an expired upload slot and copy an upload found there onto itself, so S3 reports it again. */
const INTAKE_RENOTIFIERS: FunctionName[] = ['run-sweep', SWEEPER];
const EVIDENCE_WRITERS: FunctionName[] = [PROCESSOR];
const EVIDENCE_READERS: FunctionName[] = ['get-review'];
/** Seconds; every other function has 10. */
const TIMEOUTS: Partial<Record<FunctionName, number>> = {
  // Under API Gateway's 30 s integration limit.
  'run-sweep': 29,
  [SWEEPER]: 300,
  'revocation-check-validation': 30,
  'revocation-revoke': 60,
  'reissue-check-validation': 30,
  'reissue-issue': 60,
  [PROCESSOR]: 30,
  // Creating the CA (first run) generates a key and writes the secret.
  [PUBLISHER]: 30,
};
/** MB; every other function has 512. */
const MEMORY: Partial<Record<FunctionName, number>> = { [PROCESSOR]: 1536 };
/** The `${…}` names of the revocation definition, and the task whose ARN each must become. */
const SUBSTITUTIONS: Record<string, RevocationTask> = {
  AwaitCallbackFunctionArn: 'revocation-await-callback',
  CheckValidationFunctionArn: 'revocation-check-validation',
  RevokeFunctionArn: 'revocation-revoke',
  FailFunctionArn: 'revocation-fail',
};
/** The same for the reissue definition. */
const REISSUE_SUBSTITUTIONS: Record<string, ReissueTask> = {
  CheckValidationFunctionArn: 'reissue-check-validation',
  AwaitReviewFunctionArn: 'reissue-await-review',
  IssueFunctionArn: 'reissue-issue',
  FailFunctionArn: 'reissue-fail',
};

const HANDLERS = [...new Set(Object.values(ROUTES).map((route) => route.handler))];
const FUNCTIONS: FunctionName[] = [...HANDLERS, ...TASKS, ...REISSUE_TASKS, PROCESSOR, SWEEPER, PUBLISHER];
/** What Step Functions needs to deliver its logs; these actions take no resource-level permissions. */
const VENDED_LOG_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];
const DYNAMODB_WRITES = /^dynamodb:(Put|Update|Delete|BatchWrite|TransactWrite|PartiQL(Insert|Update|Delete)|Restore|Import|CreateTable|UpdateTable|DeleteTable)/;

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
type Resources = Record<string, { Properties: Record<string, unknown>; DeletionPolicy?: string }>;

const resources = (type: string) => template.findResources(type) as Resources;
const actions = (statement: Statement) => [statement.Action].flat();
const ref = (logicalId: string) => ({ Ref: logicalId });
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
const isTask = (name: FunctionName): name is RevocationTask => (TASKS as FunctionName[]).includes(name);
const isReissueTask = (name: FunctionName): name is ReissueTask => (REISSUE_TASKS as FunctionName[]).includes(name);

function fnOf(name: FunctionName) {
  const fn =
    name === PROCESSOR
      ? letters.processor
      : name === SWEEPER
        ? sweep.function
        : name === PUBLISHER
          ? caPublisher.function
          : isTask(name)
          ? revocation.functions.get(name)
          : isReissueTask(name)
            ? reissue.functions.get(name)
            : api.functions.get(name);
  if (!fn) throw new Error(`no function for ${name}`);
  return fn;
}

function functionProps(handler: FunctionName) {
  const props = resources('AWS::Lambda::Function')[id(fnOf(handler))]?.Properties;
  if (!props) throw new Error(`no AWS::Lambda::Function for ${handler}`);
  return props as {
    Runtime: string;
    Architectures: string[];
    MemorySize: number;
    Timeout: number;
    TracingConfig: { Mode: string };
    LoggingConfig: { LogGroup: { Ref: string } };
    Environment: { Variables: Record<string, unknown> };
  };
}

/** Every identity-policy statement attached to the function's role (default and extra policies). */
function roleStatements(handler: FunctionName): Statement[] {
  return statementsOfRole(id(fnOf(handler).role!));
}

function statementsOfRole(roleId: string): Statement[] {
  const inline = (resources('AWS::IAM::Role')[roleId]?.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  const attached = Object.values(resources('AWS::IAM::Policy'))
    .filter(({ Properties }) => (Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify(ref(roleId))))
    .map(({ Properties }) => Properties as { PolicyDocument: { Statement: Statement[] } });
  return [...inline, ...attached].flatMap((policy) => policy.PolicyDocument.Statement);
}

function keyPolicy(keyLogicalId: string): Statement[] {
  const key = resources('AWS::KMS::Key')[keyLogicalId];
  if (!key) throw new Error(`no key ${keyLogicalId}`);
  return (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
}

/** Key-policy statements that name the function's role as principal. */
function keyStatementsFor(handler: FunctionName, keyLogicalId: string): Statement[] {
  const roleArn = JSON.stringify(arnOf(id(fnOf(handler).role!)));
  return keyPolicy(keyLogicalId).filter((statement) => JSON.stringify(statement.Principal ?? null).includes(roleArn));
}

const tableId = id(stateful.table);
const tableKeyId = id(stateful.table.encryptionKey!);
const secretId = id(stateful.caSecret);
const caKeyId = id(stateful.caSecret.encryptionKey!);
const stateMachineId = id(revocation.stateMachine);
const stateMachineRoleId = id(revocation.stateMachine.role);
const reissueMachineId = id(reissue.stateMachine);
const reissueMachineRoleId = id(reissue.stateMachine.role);
const keyVaultKeyId = id(stateful.keyVaultKey);
const intakeId = id(stateful.letterIntake);
const intakeKeyId = id(stateful.letterIntake.encryptionKey!);
const evidenceId = id(stateful.letterEvidence);
const evidenceKeyId = id(stateful.letterEvidence.encryptionKey!);
const queueId = id(letters.queue);
const deadLetterQueueId = id(letters.deadLetterQueue);
const processorId = id(letters.processor);

/** `arn:…:bucket/<prefix>*`, as Bucket.arnForObjects writes it. */
const objectsOf = (bucketId: string, prefix: string) => ({ 'Fn::Join': ['', [arnOf(bucketId), `/${prefix}*`]] });

function bucketPolicyStatements(bucketId: string): Statement[] {
  return Object.values(resources('AWS::S3::BucketPolicy'))
    .filter((p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify(ref(bucketId)))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function queuePolicyStatements(queueLogicalId: string): Statement[] {
  return Object.values(resources('AWS::SQS::QueuePolicy'))
    .filter((p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([ref(queueLogicalId)]))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Every statement of every identity policy in the template: attached, managed and inline. */
/**
 * The role of CDK's BucketDeployment handler, which copies the console's files during a
 * deployment: checked on its own (test/infra/console.test.ts), left out of the service's roles.
 */
function isConsoleDeployPolicy(properties: Record<string, unknown>): boolean {
  return JSON.stringify(properties.Roles ?? []).includes('CustomCDKBucketDeployment');
}

function allIdentityStatements(): Statement[] {
  const attached = [...Object.values(resources('AWS::IAM::Policy')), ...Object.values(resources('AWS::IAM::ManagedPolicy'))]
    .filter(({ Properties }) => !isConsoleDeployPolicy(Properties))
    .flatMap(({ Properties }) => (Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  const inline = Object.values(resources('AWS::IAM::Role')).flatMap(({ Properties }) =>
    ((Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement),
  );
  return [...attached, ...inline];
}

/** `action resource` pairs of the S3 actions in these statements, sorted, whatever way IAM minimization merged them. */
function s3Grants(statements: Statement[]): string[] {
  return statements
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => actions(s).filter((a) => a.startsWith('s3:')).flatMap((a) => [s.Resource].flat().map((r) => `${a} ${JSON.stringify(r)}`)))
    .sort();
}
const grant = (action: string, resource: unknown) => `${action} ${JSON.stringify(resource)}`;

describe('the CDK app', () => {
  it('lists every handler of ROUTES and every workflow task in exactly one access class of this test', () => {
    expect([...new Set([...TABLE_READERS, ...TABLE_WRITERS, ...PUBLICATION_READERS, ...CA_USERS, ...NO_ACCESS])].sort()).toEqual([...FUNCTIONS].sort());
    expect(PUBLICATION_READERS.filter((h) => [...TABLE_READERS, ...TABLE_WRITERS, ...CA_USERS].includes(h))).toEqual([]);
    expect(HANDLERS.filter((h) => isTask(h) || isReissueTask(h))).toEqual([]);
    expect([...WORKFLOW_STARTERS, ...REISSUE_STARTERS, ...TASK_RESPONDERS].filter((h) => !TABLE_WRITERS.includes(h))).toEqual([]);
    expect([...KEY_VAULT_SEALERS, ...KEY_VAULT_OPENERS].filter((h) => !FUNCTIONS.includes(h))).toEqual([]);
    expect(NO_ACCESS.filter((h) => [...TABLE_READERS, ...TABLE_WRITERS, ...PUBLICATION_READERS, ...CA_USERS].includes(h))).toEqual([]);
    expect(TABLE_READERS.filter((h) => TABLE_WRITERS.includes(h))).toEqual([]);
    expect([...INTAKE_UPLOADERS, ...INTAKE_PROCESSORS, ...INTAKE_RENOTIFIERS, ...EVIDENCE_WRITERS, ...EVIDENCE_READERS].filter((h) => !FUNCTIONS.includes(h))).toEqual([]);
    // At most one kind of intake access each; a renotifier closes the slots it finds empty (a write).
    const intakeUsers = [...INTAKE_UPLOADERS, ...INTAKE_PROCESSORS, ...INTAKE_RENOTIFIERS];
    expect(intakeUsers.filter((h, i) => intakeUsers.indexOf(h) !== i)).toEqual([]);
    expect(INTAKE_RENOTIFIERS.filter((h) => !TABLE_WRITERS.includes(h))).toEqual([]);
  });

  it('is environment-agnostic, so synth needs no account', () => {
    expect(stack.environment).toBe('aws://unknown-account/unknown-region');
  });
});

describe('the certificate table', () => {
  const table = () => resources('AWS::DynamoDB::Table')[tableId]!;

  it('has the key schema of table-schema.ts, every key a string, billed on demand', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const props = table().Properties;
    expect(props.KeySchema).toEqual([
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ]);
    expect((props.AttributeDefinitions as { AttributeType: string }[]).every((a) => a.AttributeType === 'S')).toBe(true);
    expect(props.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('has every index of TABLE_INDEXES with its keys and ALL projection, and no other', () => {
    const indexes = table().Properties.GlobalSecondaryIndexes as { IndexName: string }[];
    expect(indexes.map((index) => index.IndexName).sort()).toEqual(Object.values(TABLE_INDEXES).map((index) => index.name).sort());
    for (const index of Object.values(TABLE_INDEXES)) {
      expect(indexes).toContainEqual({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      });
    }
  });

  it('expires items by the TTL attribute', () => {
    expect(table().Properties.TimeToLiveSpecification).toEqual({ AttributeName: TTL_ATTRIBUTE, Enabled: true });
  });

  it('has point-in-time recovery, deletion protection, and is retained on stack deletion', () => {
    expect(table().Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table().Properties.DeletionProtectionEnabled).toBe(true);
    expect(table().DeletionPolicy).toBe('Retain');
  });

  it('is encrypted with its own customer-managed key, which rotates', () => {
    expect(table().Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arnOf(tableKeyId) });
    expect(resources('AWS::KMS::Key')[tableKeyId]?.Properties.EnableKeyRotation).toBe(true);
  });
});

describe('the letters intake bucket', () => {
  const bucketId = id(stateful.letterIntake);
  const bucket = () => resources('AWS::S3::Bucket')[bucketId]!.Properties;

  it('blocks every kind of public access and enforces bucket-owner ownership', () => {
    expect(bucket().PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket().OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  it('denies every request that is not over TLS, on the bucket and its objects', () => {
    const policies = Object.values(resources('AWS::S3::BucketPolicy')).filter((p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify(ref(bucketId)));
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const denyPlainHttp = statements.find((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
    expect(denyPlainHttp).toBeDefined();
    expect(actions(denyPlainHttp!)).toEqual(['s3:*']);
    expect(denyPlainHttp!.Principal).toEqual({ AWS: '*' });
    expect(JSON.stringify(denyPlainHttp!.Resource)).toContain('/*');
    expect(JSON.stringify(denyPlainHttp!.Resource)).toContain(JSON.stringify(arnOf(bucketId)));
  });

  it('is versioned, KMS-encrypted, and expires uploads (and their old versions) after a day', () => {
    expect(bucket().VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const sse = (bucket().BucketEncryption as { ServerSideEncryptionConfiguration: { ServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID: unknown } }[] })
      .ServerSideEncryptionConfiguration[0]!.ServerSideEncryptionByDefault;
    expect(sse.SSEAlgorithm).toBe('aws:kms');
    expect(sse.KMSMasterKeyID).toEqual(arnOf(id(stateful.letterIntake.encryptionKey!)));
    const rules = (bucket().LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 1, NoncurrentVersionExpiration: { NoncurrentDays: 1 } }),
    );
    expect(rules.some((rule) => 'Prefix' in rule || 'Filter' in rule)).toBe(false);
  });

  it('expires everything under uploads/ after a day: the expiring rule is bucket-wide, and only uploads/ is ever written', () => {
    const rules = (bucket().LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    const expiring = rules.filter((rule) => rule.ExpirationInDays !== undefined);
    expect(expiring).toEqual([expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 1, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } })]);
    // The only object ARNs any function may write to are under uploads/ (see least privilege).
    const writes = allIdentityStatements().filter((s) => actions(s).includes('s3:PutObject'));
    const intakeWrites = writes.flatMap((s) => [s.Resource].flat()).filter((r) => JSON.stringify(r).includes(intakeId));
    expect(intakeWrites.length).toBeGreaterThan(0);
    for (const resource of intakeWrites) expect(resource).toEqual(objectsOf(intakeId, 'uploads/'));
  });

  it('lets browsers POST (and only POST) from the console origin (by default where the stack hosts the console), and no other origin', () => {
    expect(bucket().CorsConfiguration).toEqual({
      CorsRules: [{ AllowedMethods: ['POST'], AllowedOrigins: [{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [id(hosting.distribution), 'DomainName'] }]] }], ExposedHeaders: ['ETag', 'Location'], MaxAge: 3000 }],
    });
  });

  it('takes the console origin from context, and rejects what is not an https origin', () => {
    const other = synth({ consoleOrigin: 'https://console.acme.test:8443' });
    const cors = (other.template.findResources('AWS::S3::Bucket') as Resources)[other.id(other.stateful.letterIntake)]!.Properties.CorsConfiguration;
    expect(cors).toMatchObject({ CorsRules: [{ AllowedMethods: ['POST'], AllowedOrigins: ['https://console.acme.test:8443'] }] });
    for (const bad of ['http://console.acme.test', 'https://console.acme.test/', 'https://console.acme.test/app', '*', 'console.acme.test']) {
      expect(() => synth({ consoleOrigin: bad }), bad).toThrow(/consoleOrigin/);
    }
  });

  it('sends every ObjectCreated under uploads/, and nothing else, to the uploads queue', () => {
    const notifications = Object.values(resources('Custom::S3BucketNotifications'));
    expect(notifications).toHaveLength(1);
    expect(notifications[0]!.Properties.BucketName).toEqual(ref(intakeId));
    expect(notifications[0]!.Properties.NotificationConfiguration).toEqual({
      QueueConfigurations: [
        {
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'uploads/' }] } },
          QueueArn: arnOf(queueId),
        },
      ],
    });
  });
});

describe('the letters evidence bucket', () => {
  const bucket = () => resources('AWS::S3::Bucket')[evidenceId]!;

  it('has Object Lock enabled with a default retention in GOVERNANCE mode (a year unless the context says otherwise)', () => {
    expect(bucket().Properties.ObjectLockEnabled).toBe(true);
    expect(bucket().Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: DEFAULT_EVIDENCE_RETENTION_DAYS } },
    });
    expect(DEFAULT_EVIDENCE_RETENTION_DAYS).toBe(365);
  });

  it('takes the retention from context, and rejects what is not a whole number of days', () => {
    const other = synth({ evidenceRetentionDays: '30' });
    const props = (other.template.findResources('AWS::S3::Bucket') as Resources)[other.id(other.stateful.letterEvidence)]!.Properties;
    expect(props.ObjectLockConfiguration).toMatchObject({ Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } } });
    for (const bad of ['0', '-1', '1.5', 'a year', '']) expect(() => synth({ evidenceRetentionDays: bad }), bad).toThrow(/evidenceRetentionDays/);
  });

  it('is versioned, encrypted with its own rotating customer-managed key, and retained on stack deletion', () => {
    expect(bucket().Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket().Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arnOf(evidenceKeyId) } }],
    });
    expect(evidenceKeyId).not.toBe(intakeKeyId);
    expect(resources('AWS::KMS::Key')[evidenceKeyId]?.Properties.EnableKeyRotation).toBe(true);
    expect(resources('AWS::KMS::Key')[evidenceKeyId]?.DeletionPolicy).toBe('Retain');
    expect(bucket().DeletionPolicy).toBe('Retain');
  });

  it('blocks every kind of public access and enforces bucket-owner ownership', () => {
    expect(bucket().Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket().Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  });

  it('has a policy that only denies: plain HTTP and TLS below 1.2, on the bucket and its objects', () => {
    const statements = bucketPolicyStatements(evidenceId);
    expect(statements.every((s) => s.Effect === 'Deny')).toBe(true);
    const both = [arnOf(evidenceId), { 'Fn::Join': ['', [arnOf(evidenceId), '/*']] }];
    expect(statements).toContainEqual({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Resource: both, Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(statements).toContainEqual({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Resource: both, Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } });
  });

  it('refuses, for everyone, a PutObject without If-None-Match: objects are written once and never overwritten', () => {
    expect(bucketPolicyStatements(evidenceId)).toContainEqual({
      Sid: 'WriteOnceOnlyWithIfNoneMatch',
      Effect: 'Deny',
      Action: 's3:PutObject',
      Principal: { AWS: '*' },
      Resource: { 'Fn::Join': ['', [arnOf(evidenceId), '/*']] },
      Condition: { Null: { 's3:if-none-match': 'true' } },
    });
  });

  it('sends no events and has no lifecycle rule that could expire evidence', () => {
    expect(bucket().Properties).not.toHaveProperty('LifecycleConfiguration');
    expect(bucket().Properties).not.toHaveProperty('NotificationConfiguration');
  });
});

describe('letter processing', () => {
  const queue = (logicalId: string) => resources('AWS::SQS::Queue')[logicalId]!.Properties;

  it('queues uploads with SQS-managed encryption, TLS only, and a visibility timeout of at least six times the processor\'s timeout', () => {
    // The uploads queue and its dead-letter queue, and the sweep's dead-letter queue.
    template.resourceCountIs('AWS::SQS::Queue', 3);
    expect(queue(queueId).SqsManagedSseEnabled).toBe(true);
    expect(queue(queueId).VisibilityTimeout as number).toBeGreaterThanOrEqual(6 * functionProps(PROCESSOR).Timeout);
  });

  it('dead-letters a message after four receives, into a queue that keeps it 14 days, encrypted', () => {
    expect(queue(queueId).RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(deadLetterQueueId), maxReceiveCount: 4 });
    expect(queue(deadLetterQueueId).MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(queue(deadLetterQueueId).SqsManagedSseEnabled).toBe(true);
  });

  it.each([
    ['uploads', () => queueId],
    ['dead-letter', () => deadLetterQueueId],
  ] as const)('the %s queue denies every request not over TLS', (_name, queueIdOf) => {
    expect(queuePolicyStatements(queueIdOf())).toContainEqual({
      Effect: 'Deny',
      Action: 'sqs:*',
      Principal: { AWS: '*' },
      Resource: arnOf(queueIdOf()),
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('lets S3 send to the uploads queue only for the intake bucket, and no one to the dead-letter queue', () => {
    const allows = queuePolicyStatements(queueId).filter((s) => s.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]!.Principal).toEqual({ Service: 's3.amazonaws.com' });
    expect(actions(allows[0]!)).toContain('sqs:SendMessage');
    expect(allows[0]!.Condition).toEqual({ ArnLike: { 'aws:SourceArn': arnOf(intakeId) } });
    expect(queuePolicyStatements(deadLetterQueueId).filter((s) => s.Effect === 'Allow')).toEqual([]);
  });

  it('feeds the processor from the uploads queue, five messages at a time, reporting failed messages one by one', () => {
    const mappings = Object.values(resources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toEqual({
      EventSourceArn: arnOf(queueId),
      FunctionName: ref(processorId),
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('raises an alarm when a message reaches the dead-letter queue', () => {
    const alarm = resources('AWS::CloudWatch::Alarm')[id(letters.deadLetterAlarm)]!.Properties;
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterQueueId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('bundles the processor with sharp installed for linux-arm64 by npm (no Docker), and file-type and pdf-lib inside the bundle', () => {
    const bundling = letters.processor.bundlingOptions;
    expect(bundling.nodeModules).toEqual(['sharp']);
    expect(bundling.environment).toEqual({ npm_config_os: 'linux', npm_config_cpu: 'arm64', npm_config_libc: 'glibc' });
    expect(functionProps(PROCESSOR).Architectures).toEqual(['arm64']);
    // Nothing else is external: file-type and pdf-lib (plain JavaScript) are bundled.
    expect(bundling.externalModules).toEqual([]);
    expect(bundling.format).toBe('esm');
    expect(bundling.forceDockerBundling).toBeUndefined();
    expect(bundling.dockerImage).toBeUndefined();
    // npm ci installs sharp at the lock file's version, and the lock file has the linux-arm64 binaries.
    const manifest = JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; os?: string[]; cpu?: string[]; libc?: string[] }> };
    expect(manifest.dependencies.sharp).toBe(lock.packages['node_modules/sharp']?.version);
    expect(lock.packages['node_modules/@img/sharp-linux-arm64']).toMatchObject({ os: ['linux'], cpu: ['arm64'], libc: ['glibc'] });
  });

  it.each(FUNCTIONS.filter((f) => f !== PROCESSOR))('%s bundles everything: no node_modules installed beside it', (handler) => {
    const bundling = fnOf(handler).bundlingOptions;
    expect(bundling.nodeModules).toBeUndefined();
    expect(bundling.externalModules).toEqual([]);
  });
});

describe('the expiry sweep', () => {
  const sweeperId = () => id(fnOf(SWEEPER));
  const ruleId = () => id(sweep.rule);
  const rule = () => resources('AWS::Events::Rule')[ruleId()]!.Properties;
  const HOUR = 3600;

  it('runs on demand only as POST /admin/sweeps, for operators (behind the JWT authorizer)', () => {
    expect(ROUTES.runSweep).toMatchObject({ method: 'POST', path: '/admin/sweeps', auth: 'operator', handler: 'run-sweep' });
    expect(Object.values(ROUTES).filter((route) => route.handler === 'run-sweep')).toHaveLength(1);
  });

  it('runs hourly from one enabled EventBridge rule on the default bus: rate(1 hour), no event pattern', () => {
    // The other rule is the CA publisher's (below).
    expect(Object.keys(resources('AWS::Events::Rule')).sort()).toEqual([id(caPublisher.rule), ruleId()].sort());
    expect(rule()).toMatchObject({ ScheduleExpression: 'rate(1 hour)', State: 'ENABLED' });
    expect(rule()).not.toHaveProperty('EventPattern');
    expect(rule()).not.toHaveProperty('EventBusName');
  });

  it('targets the scheduled sweep only, with EventBridge\'s own event, retrying a failed delivery twice within 30 minutes, then dead-lettering it', () => {
    expect(rule().Targets).toEqual([
      {
        Id: expect.any(String) as string,
        Arn: arnOf(sweeperId()),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 1800 },
        DeadLetterConfig: { Arn: arnOf(id(sweep.deadLetterQueue)) },
      },
    ]);
  });

  it('retries a run that threw once within 30 minutes, then sends it to the same encrypted, TLS-only dead-letter queue', () => {
    const configs = Object.values(resources('AWS::Lambda::EventInvokeConfig')).map(({ Properties }) => Properties);
    expect(configs).toEqual([
      {
        FunctionName: ref(sweeperId()),
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 1,
        MaximumEventAgeInSeconds: 1800,
        DestinationConfig: { OnFailure: { Destination: arnOf(id(sweep.deadLetterQueue)) } },
      },
    ]);
    const queue = resources('AWS::SQS::Queue')[id(sweep.deadLetterQueue)]!.Properties;
    expect(queue).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * HOUR });
    const policy = Object.values(resources('AWS::SQS::QueuePolicy')).find(({ Properties }) => JSON.stringify(Properties.Queues).includes(id(sweep.deadLetterQueue)));
    expect(JSON.stringify(policy?.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it('raises an alarm when a run fails or anything reaches the dead-letter queue', () => {
    const alarms = Object.values(resources('AWS::CloudWatch::Alarm')).map(({ Properties }) => Properties);
    const onQueue = alarms.find((a) => JSON.stringify(a.Dimensions).includes(id(sweep.deadLetterQueue)));
    expect(onQueue).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const onErrors = alarms.find((a) => a.MetricName === 'Errors' && JSON.stringify(a.Dimensions).includes(sweeperId()));
    expect(onErrors).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  it('ends a run, retried deliveries included, before the next one is due', () => {
    const retry = (rule().Targets as { RetryPolicy: { MaximumEventAgeInSeconds: number } }[])[0]!.RetryPolicy;
    expect(functionProps(SWEEPER).Timeout).toBe(300);
    expect(retry.MaximumEventAgeInSeconds + functionProps(SWEEPER).Timeout).toBeLessThanOrEqual(HOUR);
  });

  it('may be invoked by EventBridge only, and only from that rule (the one resource-based permission on the function)', () => {
    const onSweeper = Object.values(resources('AWS::Lambda::Permission'))
      .map(({ Properties }) => Properties)
      .filter((p) => JSON.stringify(p.FunctionName).includes(JSON.stringify(sweeperId())));
    expect(onSweeper).toEqual([
      { Action: 'lambda:InvokeFunction', FunctionName: arnOf(sweeperId()), Principal: 'events.amazonaws.com', SourceArn: arnOf(ruleId()) },
    ]);
    // And EventBridge may invoke no other function.
    const forEvents = Object.values(resources('AWS::Lambda::Permission')).filter(({ Properties }) => JSON.stringify(Properties.Principal).includes('events.'));
    expect(forEvents.map(({ Properties }) => Properties.FunctionName).sort(byJson)).toEqual([arnOf(sweeperId()), arnOf(id(caPublisher.function))].sort(byJson));
  });

  it('is reached by no route, queue or workflow', () => {
    const fnArn = JSON.stringify(arnOf(sweeperId()));
    for (const type of ['AWS::ApiGatewayV2::Integration', 'AWS::Lambda::EventSourceMapping', 'AWS::StepFunctions::StateMachine']) {
      expect(JSON.stringify(resources(type)), type).not.toContain(fnArn);
      expect(JSON.stringify(resources(type)), type).not.toContain(JSON.stringify(ref(sweeperId())));
    }
  });
});

describe('the CA publisher', () => {
  const publisherId = () => id(caPublisher.function);

  it('runs during the deployment, after the table and the CA secret exist, through a CDK trigger that invokes its current version and waits for the result', () => {
    const triggers = Object.values(resources('Custom::Trigger')) as unknown as { Properties: Record<string, unknown>; DependsOn?: string[] }[];
    expect(triggers).toHaveLength(1);
    const { Properties: trigger, DependsOn: dependsOn } = triggers[0]!;
    expect(trigger).toMatchObject({ InvocationType: 'RequestResponse', ExecuteOnHandlerChange: true });
    const versionId = (trigger.HandlerArn as { Ref: string }).Ref;
    expect(resources('AWS::Lambda::Version')[versionId]?.Properties.FunctionName).toEqual(ref(publisherId()));
    expect(dependsOn).toEqual(expect.arrayContaining([tableId, secretId]));
  });

  it('runs every 6 hours from its own enabled rule, four times within the day before a CRL goes stale', () => {
    const rule = resources('AWS::Events::Rule')[id(caPublisher.rule)]!.Properties;
    expect(rule).toMatchObject({ ScheduleExpression: 'rate(6 hours)', State: 'ENABLED' });
    expect(JSON.stringify(rule.Targets)).toContain(publisherId());
    expect(PUBLISH_EVERY_MS * 4).toBeLessThanOrEqual(24 * 3600 * 1000);
  });

  it('is reached by no route, queue or workflow', () => {
    for (const type of ['AWS::ApiGatewayV2::Integration', 'AWS::Lambda::EventSourceMapping', 'AWS::StepFunctions::StateMachine']) {
      expect(JSON.stringify(resources(type)), type).not.toContain(publisherId());
    }
  });
});

describe('the CA secret', () => {
  it('is encrypted with its own customer-managed key and retained on stack deletion', () => {
    const secret = resources('AWS::SecretsManager::Secret')[secretId]!;
    expect(secret.Properties.KmsKeyId).toEqual(arnOf(caKeyId));
    expect(secret.DeletionPolicy).toBe('Retain');
    expect(resources('AWS::KMS::Key')[caKeyId]?.Properties.EnableKeyRotation).toBe(true);
  });
});

describe('the key vault key', () => {
  const key = () => resources('AWS::KMS::Key')[keyVaultKeyId]!;

  it('is its own customer-managed key, which rotates and is retained on stack deletion', () => {
    expect([tableKeyId, caKeyId, intakeKeyId, evidenceKeyId]).not.toContain(keyVaultKeyId);
    expect(key().Properties.EnableKeyRotation).toBe(true);
    expect(key().DeletionPolicy).toBe('Retain');
  });

  it('has a policy that names no function: its users are granted by their own role policies', () => {
    for (const statement of keyPolicy(keyVaultKeyId)) expect(JSON.stringify(statement.Principal)).toMatch(/:root"/);
  });
});

describe('the functions', () => {
  it('are one per distinct handler of ROUTES plus the eight workflow tasks, the letter processor and the scheduled sweep, each bundled from functions/<name>.ts', () => {
    expect([...api.functions.keys()].sort()).toEqual([...HANDLERS].sort());
    expect([...revocation.functions.keys()].sort()).toEqual([...TASKS].sort());
    expect([...reissue.functions.keys()].sort()).toEqual([...REISSUE_TASKS].sort());
    expect(LETTER_PROCESSOR_ENTRY).toBe(`functions/${PROCESSOR}.ts`);
    expect(SWEEP_ENTRY).toBe(`functions/${SWEEPER}.ts`);
    expect(PUBLISH_CA_ENTRY).toBe(`functions/${PUBLISHER}.ts`);
    // Besides ours and the user pool's Pre Token Generation trigger (test/infra/api.test.ts), only
    // CDK's handler that writes the intake bucket's notification configuration, and its
    // BucketDeployment handler, which copies the console's files.
    const issuerFunctions = api.issuerFunctions.map((f) => id(f));
    const others = Object.entries(resources('AWS::Lambda::Function')).filter(([logicalId]) => !FUNCTIONS.some((f) => id(fnOf(f)) === logicalId) && !issuerFunctions.includes(logicalId));
    expect(others.map(([logicalId]) => logicalId).sort()).toEqual([
      expect.stringMatching(/^AWSCDKTriggerCustomResourceProvider/),
      expect.stringMatching(/^BucketNotificationsHandler/),
      expect.stringMatching(/^CustomCDKBucketDeployment/),
    ]);
    template.resourceCountIs('AWS::Lambda::Function', HANDLERS.length + TASKS.length + REISSUE_TASKS.length + 3 + issuerFunctions.length + others.length);
    for (const handler of FUNCTIONS) {
      expect(resources('AWS::Lambda::Function')[id(fnOf(handler))]?.Properties).toMatchObject({
        Handler: 'index.handler',
        Description: `functions/${handler}.ts`,
      });
    }
  });

  it.each(FUNCTIONS.map((name) => [name, MEMORY[name] ?? 512, TIMEOUTS[name] ?? 10] as const))('%s runs Node 22 on arm64 with %i MB, %i s, active tracing and no source maps parsed at start', (handler, memory, timeout) => {
    const props = functionProps(handler);
    expect(props.Runtime).toBe('nodejs22.x');
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.MemorySize).toBe(memory);
    expect(props.Timeout).toBe(timeout);
    expect(props.TracingConfig).toEqual({ Mode: 'Active' });
    expect(props.Environment.Variables).not.toHaveProperty('NODE_OPTIONS');
    expect(props.Environment.Variables).not.toHaveProperty('AWS_NODEJS_CONNECTION_REUSE_ENABLED');
  });

  it.each(FUNCTIONS)('%s holds Powertools to INFO logs and no logged event, in the service\'s name and metric namespace', (handler) => {
    expect(functionProps(handler).Environment.Variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'certrevoke',
      POWERTOOLS_METRICS_NAMESPACE: 'Certrevoke',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_LOGGER_LOG_EVENT: 'false',
    });
  });

  it.each(FUNCTIONS)('%s logs to its own log group with a retention', (handler) => {
    const logGroupId = functionProps(handler).LoggingConfig.LogGroup.Ref;
    expect(resources('AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays).toBe(30);
  });

  it.each(FUNCTIONS)('%s has TABLE_NAME exactly when it is granted the table', (handler) => {
    const variables = functionProps(handler).Environment.Variables;
    if ([...TABLE_READERS, ...TABLE_WRITERS, ...PUBLICATION_READERS].includes(handler)) expect(variables.TABLE_NAME).toEqual(ref(tableId));
    else expect(variables).not.toHaveProperty('TABLE_NAME');
  });

  it.each(FUNCTIONS)('%s has CA_SECRET_ID exactly when it is granted the CA secret', (handler) => {
    const variables = functionProps(handler).Environment.Variables;
    if (CA_USERS.includes(handler)) expect(variables.CA_SECRET_ID).toEqual(ref(secretId));
    else expect(variables).not.toHaveProperty('CA_SECRET_ID');
  });

  it.each(FUNCTIONS)('%s has REVOCATION_STATE_MACHINE_ARN exactly when it may start the revocation workflow', (handler) => {
    const variables = functionProps(handler).Environment.Variables;
    // Ref of a state machine is its ARN.
    if (WORKFLOW_STARTERS.includes(handler)) expect(variables.REVOCATION_STATE_MACHINE_ARN).toEqual(ref(stateMachineId));
    else expect(variables).not.toHaveProperty('REVOCATION_STATE_MACHINE_ARN');
  });

  it.each(FUNCTIONS)('%s has REISSUE_STATE_MACHINE_ARN exactly when it may start the reissue workflow', (handler) => {
    const variables = functionProps(handler).Environment.Variables;
    if (REISSUE_STARTERS.includes(handler)) expect(variables.REISSUE_STATE_MACHINE_ARN).toEqual(ref(reissueMachineId));
    else expect(variables).not.toHaveProperty('REISSUE_STATE_MACHINE_ARN');
  });

  it.each(FUNCTIONS)('%s has KEY_VAULT_KEY_ID (the key\'s ARN) exactly when it may seal or open with the key vault, and never KEY_VAULT_DIR', (handler) => {
    const variables = functionProps(handler).Environment.Variables;
    if ([...KEY_VAULT_SEALERS, ...KEY_VAULT_OPENERS].includes(handler)) expect(variables.KEY_VAULT_KEY_ID).toEqual(arnOf(keyVaultKeyId));
    else expect(variables).not.toHaveProperty('KEY_VAULT_KEY_ID');
    // KEY_VAULT_DIR is the local runtime's (a key file); it would win over the KMS key.
    expect(variables).not.toHaveProperty('KEY_VAULT_DIR');
  });

  it.each(FUNCTIONS)('%s has INTAKE_BUCKET exactly when it is granted the intake bucket, EVIDENCE_BUCKET exactly for the evidence bucket', (handler) => {
    const variables = functionProps(handler).Environment.Variables;
    if ([...INTAKE_UPLOADERS, ...INTAKE_PROCESSORS, ...INTAKE_RENOTIFIERS].includes(handler)) expect(variables.INTAKE_BUCKET).toEqual(ref(intakeId));
    else expect(variables).not.toHaveProperty('INTAKE_BUCKET');
    if ([...EVIDENCE_WRITERS, ...EVIDENCE_READERS].includes(handler)) expect(variables.EVIDENCE_BUCKET).toEqual(ref(evidenceId));
    else expect(variables).not.toHaveProperty('EVIDENCE_BUCKET');
    // S3_ENDPOINT is the local runtime's (s3rver); in AWS the SDK's default endpoint is used.
    expect(variables).not.toHaveProperty('S3_ENDPOINT');
  });
});

describe('least privilege', () => {
  // The table and each of its indexes by name: no `index/*`. In any order (IAM minimization sorts them).
  const resourceSet = (resource: unknown) => [resource].flat().map((r) => JSON.stringify(r)).sort();
  const tableResources = resourceSet([arnOf(tableId), ...Object.values(TABLE_INDEXES).map((index) => ({ 'Fn::Join': ['', [arnOf(tableId), `/index/${index.name}`]] }))]);

  it.each(TABLE_READERS)('%s reads the table and its indexes but holds no DynamoDB write action', (handler) => {
    const statements = roleStatements(handler);
    const dynamo = statements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actions)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(dynamo.flatMap(actions).filter((a) => DYNAMODB_WRITES.test(a))).toEqual([]);
    for (const statement of dynamo) expect(resourceSet(statement.Resource)).toEqual(tableResources);
    // Reading needs only Decrypt on the table's key.
    const kms = statements.filter((s) => actions(s).some((a) => a.startsWith('kms:')));
    expect(kms.flatMap(actions).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    for (const statement of kms) expect(statement.Resource).toEqual(arnOf(tableKeyId));
  });

  it.each(TABLE_WRITERS)('%s reads and writes the table (transactions are authorized per Put/Update/Delete)', (handler) => {
    const dynamo = roleStatements(handler).filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actions)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']));
    for (const statement of dynamo) expect(resourceSet(statement.Resource)).toEqual(tableResources);
  });

  it.each(PUBLICATION_READERS)('%s may only GetItem in the CA partition (by dynamodb:LeadingKeys), on the table, not its indexes', (handler) => {
    const statements = roleStatements(handler);
    const dynamo = statements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: arnOf(tableId), Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CA_PARTITION] } } },
    ]);
    const kms = statements.filter((s) => actions(s).some((a) => a.startsWith('kms:')));
    expect(kms.flatMap(actions).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    for (const statement of kms) expect(statement.Condition?.StringEquals?.['kms:ViaService']).toBeDefined();
  });

  it.each(CA_USERS)('%s may read the CA secret, and store it once exactly when it creates the CA, and nothing else on it', (handler) => {
    const creates = CA_CREATORS.includes(handler);
    const secrets = roleStatements(handler).filter((s) => actions(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets.flatMap(actions).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', ...(creates ? ['secretsmanager:PutSecretValue'] : [])]);
    for (const statement of secrets) expect(statement.Resource).toEqual(ref(secretId));
    // Its key only through Secrets Manager: decrypt to read, a data key to write.
    const viaKey = keyStatementsFor(handler, caKeyId);
    expect(viaKey.flatMap(actions).sort()).toEqual(['kms:Decrypt', ...(creates ? ['kms:GenerateDataKey'] : [])]);
    for (const statement of viaKey) {
      expect(JSON.stringify(statement.Condition?.StringEquals?.['kms:ViaService'])).toContain('secretsmanager.');
    }
  });

  it.each(FUNCTIONS.filter((h) => !CA_USERS.includes(h)))('%s has no access to the CA secret or its key', (handler) => {
    expect(roleStatements(handler).flatMap(actions).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    expect(keyStatementsFor(handler, caKeyId)).toEqual([]);
  });

  it.each(FUNCTIONS.filter((h) => ![...TABLE_READERS, ...TABLE_WRITERS, ...PUBLICATION_READERS].includes(h)))('%s has no access to the table or its key', (handler) => {
    const granted = roleStatements(handler).flatMap(actions);
    expect(granted.filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    expect(JSON.stringify(roleStatements(handler))).not.toContain(tableKeyId);
  });

  it.each(NO_ACCESS)('%s can only send traces and write its own logs', (handler) => {
    expect(roleStatements(handler).flatMap(actions).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it.each(FUNCTIONS)('%s may start the revocation workflow exactly when it is a starter, the reissue workflow exactly when it is a reissue starter, and no other', (handler) => {
    const starts = roleStatements(handler).filter((s) => actions(s).includes('states:StartExecution'));
    for (const statement of starts) expect(actions(statement)).toEqual(['states:StartExecution']);
    const machines = starts.flatMap((s) => [s.Resource].flat()).map((r) => JSON.stringify(r)).sort();
    const expected = [
      ...(WORKFLOW_STARTERS.includes(handler) ? [ref(stateMachineId)] : []),
      ...(REISSUE_STARTERS.includes(handler) ? [ref(reissueMachineId)] : []),
    ];
    expect(machines).toEqual(expected.map((r) => JSON.stringify(r)).sort());
  });

  it.each(FUNCTIONS)('%s may answer waiting tasks exactly when it is a task responder, and has no other Step Functions action', (handler) => {
    const granted = roleStatements(handler).filter((s) => actions(s).some((a) => a.startsWith('states:')));
    const expected = [
      ...([...WORKFLOW_STARTERS, ...REISSUE_STARTERS].includes(handler) ? ['states:StartExecution'] : []),
      ...(TASK_RESPONDERS.includes(handler) ? ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'] : []),
    ];
    expect(granted.flatMap(actions).filter((a) => a.startsWith('states:')).sort()).toEqual(expected.sort());
    // Task tokens are not scoped by resource: SendTask* is on "*" (merged with X-Ray, also on "*").
    for (const statement of granted.filter((s) => actions(s).some((a) => a.startsWith('states:SendTask')))) {
      expect(actions(statement).every((a) => a.startsWith('states:SendTask') || a.startsWith('xray:'))).toBe(true);
      expect(statement.Resource).toEqual('*');
    }
  });

  it('grants StartExecution and SendTask* to no role beyond those functions (nor to the state machine itself)', () => {
    const rolesWith = (pattern: RegExp) =>
      Object.values(resources('AWS::IAM::Policy'))
        .filter(({ Properties }) => (Properties.PolicyDocument as { Statement: Statement[] }).Statement.some((s) => actions(s).some((a) => pattern.test(a))))
        .flatMap(({ Properties }) => (Properties.Roles as { Ref: string }[]).map((role) => role.Ref))
        .sort();
    expect(rolesWith(/^states:StartExecution$/)).toEqual([...new Set([...WORKFLOW_STARTERS, ...REISSUE_STARTERS])].map((h) => id(fnOf(h).role!)).sort());
    expect(rolesWith(/^states:SendTask/)).toEqual(TASK_RESPONDERS.map((h) => id(fnOf(h).role!)).sort());
    const inline = Object.values(resources('AWS::IAM::Role')).flatMap(({ Properties }) =>
      ((Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement),
    );
    expect(inline.flatMap(actions).filter((a) => a.startsWith('states:'))).toEqual([]);
  });

  it('grants no "*" or "service:*" action in any identity policy, and "*" resources only where the action takes no resource', () => {
    const identityStatements = [
      ...Object.values(resources('AWS::IAM::Policy')),
      ...Object.values(resources('AWS::IAM::ManagedPolicy')),
    ]
      .filter(({ Properties }) => !isConsoleDeployPolicy(Properties))
      .flatMap(({ Properties }) => (Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const inline = Object.values(resources('AWS::IAM::Role')).flatMap(({ Properties }) =>
      ((Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement),
    );
    const all = [...identityStatements, ...inline];
    expect(all.length).toBeGreaterThan(0);
    expect(all.flatMap(actions).filter((a) => a === '*' || /^[\w-]+:\*$/.test(a))).toEqual([]);
    const isStar = (s: Statement) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*'));
    // X-Ray for everyone; SendTask* (token-scoped) for the task responders, checked above; the
    // log-delivery actions Step Functions needs to log, only for the state machine's role.
    const starResources = all.filter(isStar);
    const allowed = (a: string) => a.startsWith('xray:') || a.startsWith('states:SendTask') || VENDED_LOG_ACTIONS.includes(a);
    expect(starResources.flatMap(actions).filter((a) => !allowed(a))).toEqual([]);
    const logDeliveryRoles = Object.values(resources('AWS::IAM::Policy'))
      .filter(({ Properties }) => (Properties.PolicyDocument as { Statement: Statement[] }).Statement.some((s) => actions(s).some((a) => VENDED_LOG_ACTIONS.includes(a))))
      .flatMap(({ Properties }) => Properties.Roles as unknown[]);
    const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect([...logDeliveryRoles].sort(byJson)).toEqual([ref(stateMachineRoleId), ref(reissueMachineRoleId)].sort(byJson));
    for (const roleId of [stateMachineRoleId, reissueMachineRoleId]) {
      expect(statementsOfRole(roleId).flatMap(actions).filter((a) => a.startsWith('logs:')).sort()).toEqual([...VENDED_LOG_ACTIONS].sort());
    }
  });

  it.each(FUNCTIONS)('%s holds exactly its S3 actions, each on its own prefix (uploads/* of intake, evidence/* of evidence)', (handler) => {
    const expected = [
      ...(INTAKE_UPLOADERS.includes(handler) ? [grant('s3:PutObject', objectsOf(intakeId, 'uploads/'))] : []),
      ...(INTAKE_PROCESSORS.includes(handler)
        ? [
            grant('s3:GetObject', objectsOf(intakeId, 'uploads/')),
            grant('s3:DeleteObject', objectsOf(intakeId, 'uploads/')),
            // So that an upload already gone is a 404, not a 403, for a repeated event.
            grant('s3:ListBucket', arnOf(intakeId)),
          ]
        : []),
      ...(INTAKE_RENOTIFIERS.includes(handler)
        ? [
            // HeadObject, and CopyObject of an upload onto itself (a Get of the source, a Put of the copy).
            grant('s3:GetObject', objectsOf(intakeId, 'uploads/')),
            grant('s3:PutObject', objectsOf(intakeId, 'uploads/')),
            // So that an empty slot (the usual case) is a 404 the sweep closes, not a 403 that fails it.
            grant('s3:ListBucket', arnOf(intakeId)),
          ]
        : []),
      ...(EVIDENCE_WRITERS.includes(handler) ? [grant('s3:PutObject', objectsOf(evidenceId, 'evidence/'))] : []),
      ...(EVIDENCE_READERS.includes(handler) ? [grant('s3:GetObject', objectsOf(evidenceId, 'evidence/'))] : []),
    ];
    expect(s3Grants(roleStatements(handler))).toEqual(expected.sort());
  });

  it('lets letter-upload only put under uploads/: no read, list or delete on any bucket', () => {
    const granted = roleStatements('letter-upload').flatMap(actions).filter((a) => a.startsWith('s3:'));
    expect(granted).toEqual(['s3:PutObject']);
  });

  it.each(INTAKE_RENOTIFIERS)('lets %s only head, get and copy onto itself under uploads/ (and list the intake bucket): no delete, nothing of the evidence bucket', (handler) => {
    const granted = roleStatements(handler).filter((s) => actions(s).some((a) => a.startsWith('s3:')));
    expect(granted.flatMap(actions).filter((a) => a.startsWith('s3:')).sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
    expect(JSON.stringify(roleStatements(handler))).not.toContain(evidenceId);
    expect(keyStatementsFor(handler, evidenceKeyId)).toEqual([]);
  });

  it('lets get-review only get evidence/ objects, and touch nothing of the intake bucket', () => {
    expect(s3Grants(roleStatements('get-review'))).toEqual([grant('s3:GetObject', objectsOf(evidenceId, 'evidence/'))]);
    expect(JSON.stringify(roleStatements('get-review'))).not.toContain(intakeId);
    expect(keyStatementsFor('get-review', intakeKeyId)).toEqual([]);
  });

  it('lets no role delete, overwrite-protect, unlock or reconfigure evidence, and grants no "s3:*"', () => {
    const statements = allIdentityStatements();
    expect(statements.flatMap(actions).filter((a) => /^s3:\*|^\*$/.test(a))).toEqual([]);
    const onEvidence = statements.filter((s) => JSON.stringify(s.Resource ?? null).includes(evidenceId));
    expect(onEvidence.flatMap(actions).filter((a) => a.startsWith('s3:') && a !== 's3:PutObject' && a !== 's3:GetObject')).toEqual([]);
    // Not on any resource either: these could shorten the lock, remove versions or change the bucket.
    const forbidden = /^s3:(DeleteObject(Version)?|BypassGovernanceRetention|PutObjectRetention|PutObjectLegalHold|PutBucketObjectLockConfiguration|PutBucketPolicy|PutLifecycleConfiguration|PutBucketVersioning|DeleteBucket.*)$/;
    const holders = statements.filter((s) => actions(s).some((a) => forbidden.test(a)));
    expect(holders.flatMap((s) => [s.Resource].flat())).toEqual([objectsOf(intakeId, 'uploads/')]);
    expect(holders.flatMap(actions).filter((a) => forbidden.test(a))).toEqual(['s3:DeleteObject']);
  });

  it('gives S3 notification configuration rights only to CDK\'s notifications handler, on the intake bucket only', () => {
    const statements = allIdentityStatements().filter((s) => actions(s).some((a) => a.startsWith('s3:') && !['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'].includes(a)));
    expect(statements).toEqual([{ Effect: 'Allow', Action: 's3:PutBucketNotification', Resource: arnOf(intakeId) }]);
  });

  type KeyUse = [FunctionName, 'kms:Decrypt' | 'kms:GenerateDataKey'];
  const KEY_USERS: [string, () => string, KeyUse[]][] = [
    [
      'intake',
      () => intakeKeyId,
      [
        ['letter-upload', 'kms:GenerateDataKey'],
        [PROCESSOR, 'kms:Decrypt'],
        // CopyObject of an SSE-KMS object: decrypt the source, a data key for the copy.
        ...INTAKE_RENOTIFIERS.flatMap((h): KeyUse[] => [
          [h, 'kms:Decrypt'],
          [h, 'kms:GenerateDataKey'],
        ]),
      ],
    ],
    [
      'evidence',
      () => evidenceKeyId,
      [
        [PROCESSOR, 'kms:GenerateDataKey'],
        ['get-review', 'kms:Decrypt'],
      ],
    ],
  ];
  it.each(KEY_USERS)('the %s key lets exactly its users encrypt or decrypt, and only through S3', (_name, keyIdOf, users) => {
    const keyId = keyIdOf();
    const nonRoot = keyPolicy(keyId).filter((s) => !JSON.stringify(s.Principal).includes(':root'));
    const viaS3 = { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } };
    // Every such statement allows, on the key itself ("*" in a key policy), through S3 only, to roles only.
    for (const statement of nonRoot) {
      expect(statement).toEqual({ Effect: 'Allow', Action: statement.Action, Principal: { AWS: (statement.Principal as { AWS: unknown }).AWS }, Resource: '*', Condition: viaS3 });
    }
    // `role action` pairs, whatever way IAM minimization merged principals or actions.
    const granted = nonRoot.flatMap((s) => [(s.Principal as { AWS: unknown }).AWS].flat().flatMap((principal) => actions(s).map((a) => grant(a, principal))));
    const expected = users.map(([user, action]) => grant(action, arnOf(id(fnOf(user).role!))));
    expect(granted.sort()).toEqual(expected.sort());
    // Nor in any identity policy.
    for (const handler of FUNCTIONS) expect(JSON.stringify(roleStatements(handler))).not.toContain(keyId);
  });

  it.each(FUNCTIONS)('%s may use the key vault key exactly as its class says: GenerateDataKey to seal, Decrypt to open, on that key only, with an encryption context', (handler) => {
    const onKey = roleStatements(handler).filter((s) => JSON.stringify(s.Resource ?? null).includes(keyVaultKeyId));
    const expected = [
      ...(KEY_VAULT_SEALERS.includes(handler) ? ['kms:GenerateDataKey'] : []),
      ...(KEY_VAULT_OPENERS.includes(handler) ? ['kms:Decrypt'] : []),
    ];
    expect(onKey.flatMap(actions).sort()).toEqual(expected);
    for (const statement of onKey) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Resource).toEqual(arnOf(keyVaultKeyId));
      expect(statement.Condition).toEqual({ Null: { 'kms:EncryptionContextKeys': 'false' } });
    }
    // Nor through the key's policy.
    expect(keyStatementsFor(handler, keyVaultKeyId)).toEqual([]);
  });

  it('lets only reissue-private-key decrypt with the key vault key and only submit-reissue make data keys with it, in any role of the app', () => {
    const rolesWith = (action: string) =>
      Object.values(resources('AWS::IAM::Policy'))
        .filter(({ Properties }) =>
          (Properties.PolicyDocument as { Statement: Statement[] }).Statement.some(
            (s) => actions(s).some((a) => a === action || a === 'kms:*' || a === '*') && JSON.stringify(s.Resource ?? null).match(new RegExp(`${keyVaultKeyId}|^"\\*"$`)),
          ),
        )
        .flatMap(({ Properties }) => (Properties.Roles as { Ref: string }[]).map((role) => role.Ref))
        .sort();
    expect(rolesWith('kms:Decrypt')).toEqual([id(fnOf('reissue-private-key').role!)]);
    expect(rolesWith('kms:GenerateDataKey')).toEqual([id(fnOf('submit-reissue').role!)]);
    const inline = Object.values(resources('AWS::IAM::Role')).flatMap(({ Properties }) =>
      ((Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement),
    );
    expect(JSON.stringify(inline)).not.toContain(keyVaultKeyId);
  });

  it('allows wildcard KMS actions in key policies only to the account root (the default key admin)', () => {
    for (const keyId of Object.keys(resources('AWS::KMS::Key'))) {
      for (const statement of keyPolicy(keyId).filter((s) => s.Effect === 'Allow' && actions(s).some((a) => a === '*' || a === 'kms:*'))) {
        expect(JSON.stringify(statement.Principal)).toMatch(/:root"/);
        expect(statement.Condition).toBeUndefined();
      }
    }
  });
});

/** Both workflows follow the same conventions; each is checked against its own file and tasks. */
const WORKFLOWS = [
  {
    name: 'revocation',
    definition: REVOCATION_DEFINITION,
    machineId: stateMachineId,
    roleId: stateMachineRoleId,
    logGroup: revocation.logGroup,
    tasks: TASKS as FunctionName[],
    substitutions: SUBSTITUTIONS as Record<string, FunctionName>,
  },
  {
    name: 'reissue',
    definition: REISSUE_DEFINITION,
    machineId: reissueMachineId,
    roleId: reissueMachineRoleId,
    logGroup: reissue.logGroup,
    tasks: REISSUE_TASKS as FunctionName[],
    substitutions: REISSUE_SUBSTITUTIONS as Record<string, FunctionName>,
  },
];

describe('the workflows', () => {
  it('are exactly two Standard state machines, revocation and reissue', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    expect(Object.keys(resources('AWS::StepFunctions::StateMachine')).sort()).toEqual([stateMachineId, reissueMachineId].sort());
  });

  it('load the reissue definition from the file the local runtime loads, with the same task for each ${…}', () => {
    expect(resolve(PROJECT_ROOT, REISSUE_DEFINITION)).toBe(REISSUE_WORKFLOW.file);
    expect(REISSUE_DEFINITION).toBe('infra/workflows/reissue.asl.json');
    expect(REISSUE_WORKFLOW.tasks).toEqual(REISSUE_SUBSTITUTIONS);
  });
});

describe.each(WORKFLOWS)('the $name workflow', ({ definition, machineId, roleId, logGroup, tasks: TASKS, substitutions: SUBSTITUTIONS }) => {
  const aslText = readFileSync(resolve(PROJECT_ROOT, definition), 'utf8');
  /** A fresh parse each time: asl-validator writes into the object it is given. */
  const asl = () => JSON.parse(aslText) as object;
  const machine = () => resources('AWS::StepFunctions::StateMachine')[machineId]!.Properties;
  const arnOfTask = (task: FunctionName) => arnOf(id(fnOf(task)));
  const expectedSubstitutions = Object.fromEntries(Object.entries(SUBSTITUTIONS).map(([name, task]) => [name, arnOfTask(task)]));

  /** What CloudFormation does with DefinitionSubstitutions: each `${Name}` becomes its value. */
  function substitute(value: unknown, substitutions: Record<string, unknown>): unknown {
    if (typeof value === 'string') {
      const whole = /^\$\{([^}]+)\}$/.exec(value);
      if (whole) {
        if (!(whole[1]! in substitutions)) throw new Error(`no substitution for ${value}`);
        return substitutions[whole[1]!];
      }
      // The file keeps placeholders as whole values, so a substituted ARN is a whole value too.
      if (value.includes('${')) throw new Error(`placeholder inside a longer string: ${value}`);
      return value;
    }
    if (Array.isArray(value)) return value.map((item) => substitute(item, substitutions));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, substitutions)]));
    return value;
  }

  type TaskState = { Type: string; Resource?: unknown; Parameters?: { FunctionName?: unknown }; TimeoutSeconds?: number };
  const taskStates = (definition: unknown) =>
    Object.entries((definition as { States: Record<string, TaskState> }).States).filter(([, state]) => state.Type === 'Task');

  it('is a Standard state machine, with X-Ray tracing', () => {
    expect(machine().StateMachineType).toBe('STANDARD');
    expect(machine().TracingConfiguration).toEqual({ Enabled: true });
  });

  it(`ships ${definition} byte for byte as its definition (an S3 asset, CDK's form for fromFile)`, () => {
    expect(machine()).not.toHaveProperty('DefinitionString');
    expect(machine()).not.toHaveProperty('Definition');
    const location = machine().DefinitionS3Location as { Bucket: unknown; Key: string };
    const assembly = app.synth();
    const manifest = assembly.getStackArtifact(stack.artifactId).dependencies.find((artifact) => AssetManifestArtifact.isAssetManifestArtifact(artifact));
    expect(manifest).toBeDefined();
    type FileAsset = { source: { path: string; packaging?: string }; destinations: Record<string, { bucketName: string; objectKey: string }> };
    const files = (JSON.parse(readFileSync((manifest as AssetManifestArtifact).file, 'utf8')) as { files: Record<string, FileAsset> }).files;
    const assets = Object.values(files).filter((asset) => Object.values(asset.destinations).some((d) => d.objectKey === location.Key));
    expect(assets).toHaveLength(1);
    expect(assets[0]!.source.packaging ?? 'file').toBe('file');
    expect(readFileSync(resolve(assembly.directory, assets[0]!.source.path), 'utf8')).toBe(aslText);
    expect(Object.values(assets[0]!.destinations).map((d) => ({ 'Fn::Sub': d.bucketName }))).toEqual([location.Bucket]);
  });

  it('substitutes every ${…} of the definition, and only those, with its task function\'s ARN', () => {
    const placeholders = new Set([...aslText.matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1]!));
    expect([...placeholders].sort()).toEqual(Object.keys(SUBSTITUTIONS).sort());
    expect(machine().DefinitionSubstitutions).toEqual(expectedSubstitutions);
  });

  it('after substitution equals the file with each ${…} replaced by the matching function\'s ARN', () => {
    const deployed = substitute(asl(), machine().DefinitionSubstitutions as Record<string, unknown>);
    expect(deployed).toEqual(substitute(asl(), expectedSubstitutions));
    expect(JSON.stringify(deployed)).not.toContain('${');
    // Every task calls one of the four functions, and each of them is called.
    const called = taskStates(deployed).map(([, state]) => (typeof state.Resource === 'string' ? state.Parameters?.FunctionName : state.Resource));
    expect(new Set(called.map((target) => JSON.stringify(target)))).toEqual(new Set(TASKS.map((task) => JSON.stringify(arnOfTask(task)))));
  });

  it('gives every task that calls its function directly at least that function\'s timeout', () => {
    const deployed = substitute(asl(), expectedSubstitutions);
    for (const [name, state] of taskStates(deployed).filter(([, s]) => typeof s.Resource !== 'string')) {
      const task = TASKS.find((t) => JSON.stringify(arnOfTask(t)) === JSON.stringify(state.Resource))!;
      expect(state.TimeoutSeconds, name).toBeGreaterThanOrEqual(functionProps(task).Timeout);
    }
  });

  it('has a role that may invoke exactly the four task functions, and otherwise only trace and log', () => {
    const statements = statementsOfRole(roleId);
    const invoke = statements.filter((s) => actions(s).some((a) => a.startsWith('lambda:')));
    expect([...new Set(invoke.flatMap(actions))]).toEqual(['lambda:InvokeFunction']);
    const byJson = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    const invocable = invoke.flatMap((s) => [s.Resource].flat()).sort(byJson);
    // The function and its versions or aliases (`:*`), as grantInvoke writes it.
    const expected = TASKS.flatMap((task) => [arnOfTask(task), { 'Fn::Join': ['', [arnOfTask(task), ':*']] }]).sort(byJson);
    expect(invocable).toEqual(expected);
    const other = statements.flatMap(actions).filter((a) => a !== 'lambda:InvokeFunction' && !a.startsWith('xray:') && !VENDED_LOG_ACTIONS.includes(a));
    expect(other).toEqual([]);
  });

  it('has task functions that nothing but the state machine may invoke (no resource policy)', () => {
    const targets = Object.values(resources('AWS::Lambda::Permission')).map(({ Properties }) => JSON.stringify(Properties.FunctionName));
    for (const task of TASKS) expect(targets).not.toContain(JSON.stringify(arnOfTask(task)));
  });

  it('logs every event (ALL), without execution data (no task tokens), to a log group with a retention', () => {
    const logGroupId = id(logGroup);
    expect(machine().LoggingConfiguration).toEqual({
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf(logGroupId) } }],
      IncludeExecutionData: false,
      Level: 'ALL',
    });
    expect(resources('AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays).toBe(30);
  });

  it('is valid ASL (asl-validator, paths and ARNs checked), as the file and once substituted', () => {
    const options = { checkPaths: true, checkArn: true };
    const file = aslValidator(asl(), options);
    expect(file.errorsText()).toBe('');
    expect(file.isValid).toBe(true);
    const sampleArns = Object.fromEntries(Object.keys(SUBSTITUTIONS).map((name) => [name, `arn:aws:lambda:eu-west-1:123456789012:function:${name}`]));
    const substituted = aslValidator(substitute(asl(), sampleArns) as object, options);
    expect(substituted.errorsText()).toBe('');
    expect(substituted.isValid).toBe(true);
  });
});

describe('the HTTP API', () => {
  const routes = () => Object.values(resources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
  const authorizerId = () => Object.keys(resources('AWS::ApiGatewayV2::Authorizer'))[0]!;

  it('has exactly the routes of ROUTES', () => {
    expect(routes().map((r) => r.RouteKey).sort()).toEqual(Object.values(ROUTES).map((r) => `${r.method} ${r.path}`).sort());
  });

  const cases = Object.entries(ROUTES).map(([name, route]) => ({ name, routeKey: `${route.method} ${route.path}`, route }));
  it.each(cases)('$name ($routeKey) needs a JWT unless public, and reaches its handler', ({ routeKey, route }) => {
    const props = routes().find((r) => r.RouteKey === routeKey);
    expect(props).toBeDefined();
    if (route.auth === 'public') {
      expect(props!.AuthorizationType).toBe('NONE');
      expect(props!).not.toHaveProperty('AuthorizerId');
    } else {
      expect(props!.AuthorizationType).toBe('JWT');
      expect(props!.AuthorizerId).toEqual(ref(authorizerId()));
    }
    const integrationId = ((props!.Target as { 'Fn::Join': [string, [string, { Ref: string }]] })['Fn::Join'][1][1]).Ref;
    expect(resources('AWS::ApiGatewayV2::Integration')[integrationId]?.Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: arnOf(id(fnOf(route.handler))),
    });
  });

  it('trusts a Cognito user pool by default: its issuer URL and its app client as audience', () => {
    const pools = Object.keys(resources('AWS::Cognito::UserPool'));
    const clients = Object.keys(resources('AWS::Cognito::UserPoolClient'));
    expect(pools).toHaveLength(1);
    expect(clients).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Audience: [ref(clients[0]!)],
        Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', ref(pools[0]!)]] },
      },
    });
    const pool = resources('AWS::Cognito::UserPool')[pools[0]!]!.Properties;
    expect(pool.AdminCreateUserConfig).toMatchObject({ AllowAdminCreateUserOnly: true });
  });

  it('trusts the issuer and audiences given as context instead, and creates no user pool', () => {
    const other = synth({ jwtIssuer: 'https://login.example.com/', jwtAudience: 'web, cli', jwtScopes: 'certrevoke/api' });
    other.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    other.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['web', 'cli'] },
    });
  });

  it('rejects an issuer without an audience', () => {
    expect(() => synth({ jwtIssuer: 'https://login.example.com/' })).toThrow(/jwtAudience/);
  });

  it('serves the $default stage with auto-deploy and JSON access logs that carry the request id', () => {
    const stage = Object.values(resources('AWS::ApiGatewayV2::Stage'));
    expect(stage).toHaveLength(1);
    expect(stage[0]!.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true });
    const logs = stage[0]!.Properties.AccessLogSettings as { DestinationArn: { 'Fn::GetAtt': [string, string] }; Format: string };
    expect(JSON.parse(logs.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(resources('AWS::Logs::LogGroup')[logs.DestinationArn['Fn::GetAtt'][0]]?.Properties.RetentionInDays).toBe(30);
  });

  it('outputs the API URL', () => {
    const outputs = template.findOutputs('*');
    const url = Object.entries(outputs).find(([key]) => key.includes('ApiUrl'))?.[1] as { Value: unknown } | undefined;
    expect(JSON.stringify(url?.Value)).toContain('.execute-api.');
    expect(JSON.stringify(url?.Value)).toContain(JSON.stringify(ref(id(api.httpApi))));
  });
});

describe('workflow retries', () => {
  it.each([REVOCATION_WORKFLOW, REISSUE_WORKFLOW])('retries every task on transient AWS errors (throttling, server errors, conflicts, timeouts), with backoff and jitter: $file', (workflow) => {
    const definition = JSON.parse(readFileSync(workflow.file, 'utf8')) as { States: Record<string, { Type: string; Retry?: { ErrorEquals: string[]; BackoffRate?: number; JitterStrategy?: string }[] }> };
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, state] of tasks) {
      const covering = (error: string) => (state.Retry ?? []).find((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.ALL'));
      for (const error of TRANSIENT_TASK_ERRORS) {
        const retrier = covering(error);
        expect(retrier, `${name} retries ${error}`).toBeDefined();
        expect(retrier).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL' });
      }
    }
  });
});
