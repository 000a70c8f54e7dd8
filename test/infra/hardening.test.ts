import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { ServiceFunction } from '../../infra/constructs/function.js';
import { ACCESS_LOG_PREFIXES } from '../../infra/stateful.js';

/**
 * The production hardening of issue 7 that cdk-nag asks for, checked on the template: server
 * access logs for the letter buckets, state machines logging ALL events with X-Ray, and function
 * roles without AWS managed policies whose logs permission is their own log group only.
 */
const cdkContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: object }).context;
const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
const { stack, stateful, revocation, reissue, console: hosting } = buildApp(app);
const template = Template.fromStack(stack);
const id = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
type Resources = Record<string, { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

const resources = (type: string) => template.findResources(type) as Resources;
const actions = (statement: Statement) => [statement.Action].flat();
const ref = (logicalId: string) => ({ Ref: logicalId });
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const objectsOf = (bucketId: string, prefix: string) => ({ 'Fn::Join': ['', [arnOf(bucketId), `/${prefix}*`]] });

const accessLogsId = id(stateful.accessLogs);
const intakeId = id(stateful.letterIntake);
const evidenceId = id(stateful.letterEvidence);

function bucketPolicyStatements(bucketId: string): Statement[] {
  return Object.values(resources('AWS::S3::BucketPolicy'))
    .filter((p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify(ref(bucketId)))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

function statementsOfRole(roleId: string): Statement[] {
  const inline = (resources('AWS::IAM::Role')[roleId]?.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  const attached = Object.values(resources('AWS::IAM::Policy'))
    .filter(({ Properties }) => (Properties.Roles as unknown[]).some((role) => JSON.stringify(role) === JSON.stringify(ref(roleId))))
    .map(({ Properties }) => Properties as { PolicyDocument: { Statement: Statement[] } });
  return [...inline, ...attached].flatMap((policy) => policy.PolicyDocument.Statement);
}

describe('the access-log bucket', () => {
  const bucket = () => resources('AWS::S3::Bucket')[accessLogsId]!;

  it('is encrypted with SSE-S3 (the only default encryption S3 log delivery can write to)', () => {
    expect(bucket().Properties.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
  });

  it('blocks every kind of public access and enforces bucket-owner ownership (no ACLs)', () => {
    expect(bucket().Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket().Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket().Properties).not.toHaveProperty('AccessControl');
  });

  it('denies every request not over TLS 1.2 or later, on the bucket and its objects', () => {
    const denies = bucketPolicyStatements(accessLogsId).filter((s) => s.Effect === 'Deny');
    const both = [arnOf(accessLogsId), { 'Fn::Join': ['', [arnOf(accessLogsId), '/*']] }];
    expect(denies).toEqual([
      { Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Resource: both, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      { Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Resource: both, Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } },
    ]);
  });

  it('lets S3 log delivery put objects only under each letter bucket\'s prefix, from that bucket of this account, and allows nothing else', () => {
    const allows = bucketPolicyStatements(accessLogsId).filter((s) => s.Effect === 'Allow');
    const delivery = (sourceId: string, prefix: string) => ({
      Effect: 'Allow',
      Action: 's3:PutObject',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Resource: objectsOf(accessLogsId, prefix),
      Condition: { ArnLike: { 'aws:SourceArn': arnOf(sourceId) }, StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
    });
    expect(allows).toHaveLength(2);
    expect(allows).toEqual(expect.arrayContaining([delivery(intakeId, ACCESS_LOG_PREFIXES.letterIntake), delivery(evidenceId, ACCESS_LOG_PREFIXES.letterEvidence)]));
  });

  it('expires logs after 365 days, with no other rule', () => {
    expect(bucket().Properties.LifecycleConfiguration).toEqual({ Rules: [{ Id: 'expire-access-logs', ExpirationInDays: 365, Status: 'Enabled' }] });
  });

  it('is retained on stack deletion and replacement', () => {
    expect(bucket().DeletionPolicy).toBe('Retain');
    expect(bucket().UpdateReplacePolicy).toBe('Retain');
  });

  it('does not log its own requests (into itself or anywhere)', () => {
    expect(bucket().Properties).not.toHaveProperty('LoggingConfiguration');
  });
});

describe('server access logs', () => {
  it.each([
    ['intake', intakeId, ACCESS_LOG_PREFIXES.letterIntake],
    ['evidence', evidenceId, ACCESS_LOG_PREFIXES.letterEvidence],
  ])('the letters %s bucket logs every request to the access-log bucket under its own prefix', (_name, bucketId, prefix) => {
    expect(resources('AWS::S3::Bucket')[bucketId]!.Properties.LoggingConfiguration).toEqual({ DestinationBucketName: ref(accessLogsId), LogFilePrefix: prefix });
  });

  it('use a distinct prefix per bucket, neither a prefix of the other', () => {
    const [a, b] = [ACCESS_LOG_PREFIXES.letterIntake, ACCESS_LOG_PREFIXES.letterEvidence];
    expect(a.endsWith('/') && b.endsWith('/')).toBe(true);
    expect(a.startsWith(b) || b.startsWith(a)).toBe(false);
  });

  it('are kept for every bucket of the app but the two log targets: the access-log bucket, and the console\'s (CloudFront logs need ACLs)', () => {
    const consoleLogsId = id(hosting.node.findChild('Logs'));
    const others = Object.entries(resources('AWS::S3::Bucket')).filter(([logicalId]) => logicalId !== accessLogsId && logicalId !== consoleLogsId);
    expect(others.length).toBeGreaterThan(0);
    for (const [logicalId, { Properties }] of others) {
      const target = logicalId === id(hosting.bucket) ? consoleLogsId : accessLogsId;
      expect((Properties.LoggingConfiguration as { DestinationBucketName?: unknown } | undefined)?.DestinationBucketName, logicalId).toEqual(ref(target));
    }
  });
});

describe.each([
  { name: 'revocation', workflow: revocation },
  { name: 'reissue', workflow: reissue },
])('the $name state machine', ({ workflow }) => {
  const machine = () => resources('AWS::StepFunctions::StateMachine')[id(workflow.stateMachine)]!.Properties;

  it('logs ALL events to its own log group, without execution data (task tokens stay out of the logs)', () => {
    expect(machine().LoggingConfiguration).toEqual({
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf(id(workflow.logGroup)) } }],
      IncludeExecutionData: false,
      Level: 'ALL',
    });
  });

  it('is traced with X-Ray', () => {
    expect(machine().TracingConfiguration).toEqual({ Enabled: true });
  });

  it('has a role with no AWS managed policy', () => {
    expect(resources('AWS::IAM::Role')[id(workflow.stateMachine.role)]!.Properties).not.toHaveProperty('ManagedPolicyArns');
  });
});

describe('the functions\' roles', () => {
  const functions = stack.node.findAll().filter((c): c is ServiceFunction => c instanceof ServiceFunction);
  const names = functions.map((fn) => [fn.node.path, fn] as const);
  const roleId = (fn: ServiceFunction) => id(fn.role!);
  const logGroupId = (fn: ServiceFunction) => (resources('AWS::Lambda::Function')[id(fn)]!.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
  const tableKeyId = id(stateful.table.encryptionKey!);

  it('cover every function of the app but CDK\'s own deploy-time handlers (bucket notifications, the console\'s files, the trigger that runs the CA publisher)', () => {
    const cdkOwn = ['BucketNotificationsHandler', 'CustomCDKBucketDeployment', 'AWSCDKTriggerCustomResourceProvider'];
    const lambdas = Object.keys(resources('AWS::Lambda::Function')).filter((logicalId) => !cdkOwn.some((prefix) => logicalId.startsWith(prefix)));
    expect(functions.map((fn) => id(fn)).sort()).toEqual(lambdas.sort());
  });

  it('are one per function', () => {
    expect(new Set(functions.map(roleId)).size).toBe(functions.length);
  });

  it.each(names)('%s: its role has no managed policy (no AWSLambdaBasicExecutionRole) and is assumed by Lambda only', (_path, fn) => {
    const role = resources('AWS::IAM::Role')[roleId(fn)]!.Properties;
    expect(role).not.toHaveProperty('ManagedPolicyArns');
    expect(role.AssumeRolePolicyDocument).toEqual({
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
      Version: '2012-10-17',
    });
  });

  it.each(names)('%s: may create streams and put events in its own log group, and has no other logs permission', (_path, fn) => {
    const logs = statementsOfRole(roleId(fn)).filter((s) => actions(s).some((a) => a.startsWith('logs:')));
    expect(logs).toEqual([{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: arnOf(logGroupId(fn)) }]);
  });

  it.each(names)('%s: keeps its X-Ray permissions (active tracing)', (_path, fn) => {
    const xray = statementsOfRole(roleId(fn)).filter((s) => actions(s).some((a) => a.startsWith('xray:')));
    expect(xray.flatMap(actions).filter((a) => a.startsWith('xray:')).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it.each(names)('%s: holds no wildcard action and no index/* resource', (_path, fn) => {
    const statements = statementsOfRole(roleId(fn));
    expect(statements.flatMap(actions).filter((a) => a.includes('*'))).toEqual([]);
    expect(JSON.stringify(statements)).not.toContain('/index/*');
  });

  it.each(names)('%s: uses the table\'s key only through DynamoDB, with exact actions', (_path, fn) => {
    const statements = statementsOfRole(roleId(fn));
    const onKey = statements.filter((s) => JSON.stringify(s.Resource ?? null).includes(tableKeyId));
    const dynamo = statements.flatMap(actions).filter((a) => a.startsWith('dynamodb:'));
    if (dynamo.length === 0) {
      expect(onKey).toEqual([]);
      return;
    }
    const writes = dynamo.includes('dynamodb:PutItem');
    expect(onKey).toEqual([
      {
        Effect: 'Allow',
        Action: writes ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt', 'kms:DescribeKey'],
        Resource: arnOf(tableKeyId),
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
      },
    ]);
  });

  it.each(names)('%s: may not Scan the table (every read is a key lookup or an index query)', (_path, fn) => {
    expect(statementsOfRole(roleId(fn)).flatMap(actions)).not.toContain('dynamodb:Scan');
  });
});
