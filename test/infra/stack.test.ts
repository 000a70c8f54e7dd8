import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { HandlerName } from '../../infra/api.js';
import { buildApp } from '../../infra/app.js';
import { TABLE_INDEXES, TABLE_KEYS, TTL_ATTRIBUTE } from '../../lib/adapters/table-schema.js';
import { ROUTES } from '../../lib/http/contract.js';

/**
 * The app as `cdk synth` builds it (same feature flags from cdk.json), minus esbuild: bundling
 * is skipped for every stack, so these tests read templates without building code.
 */
const cdkContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: object }).context;

function synth(context: Record<string, string> = {}) {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...context } });
  const built = buildApp(app);
  const template = Template.fromStack(built.stack);
  const id = (construct: IConstruct) => built.stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return { ...built, template, id };
}

const { stack, stateful, api, template, id } = synth();

// The access each handler is meant to have: the specification, written out independently of
// the table in infra/api.ts. A handler added to ROUTES fails the first test until listed here.
const TABLE_READERS: HandlerName[] = ['get-certificate', 'list-certificates', 'download-certificate'];
const TABLE_WRITERS: HandlerName[] = ['register-certificate'];
const CA_USERS: HandlerName[] = ['get-ca-certificate', 'register-certificate'];
const NO_ACCESS: HandlerName[] = ['health', 'get-openapi'];

const HANDLERS = [...new Set(Object.values(ROUTES).map((route) => route.handler))];
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

function fnOf(handler: HandlerName) {
  const fn = api.functions.get(handler);
  if (!fn) throw new Error(`no function for ${handler}`);
  return fn;
}

function functionProps(handler: HandlerName) {
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
function roleStatements(handler: HandlerName): Statement[] {
  const roleId = id(fnOf(handler).role!);
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
function keyStatementsFor(handler: HandlerName, keyLogicalId: string): Statement[] {
  const roleArn = JSON.stringify(arnOf(id(fnOf(handler).role!)));
  return keyPolicy(keyLogicalId).filter((statement) => JSON.stringify(statement.Principal ?? null).includes(roleArn));
}

const tableId = id(stateful.table);
const tableKeyId = id(stateful.table.encryptionKey!);
const secretId = id(stateful.caSecret);
const caKeyId = id(stateful.caSecret.encryptionKey!);

describe('the CDK app', () => {
  it('lists every handler of ROUTES in exactly one access class of this test', () => {
    expect([...new Set([...TABLE_READERS, ...TABLE_WRITERS, ...CA_USERS, ...NO_ACCESS])].sort()).toEqual([...HANDLERS].sort());
    expect(NO_ACCESS.filter((h) => [...TABLE_READERS, ...TABLE_WRITERS, ...CA_USERS].includes(h))).toEqual([]);
    expect(TABLE_READERS.filter((h) => TABLE_WRITERS.includes(h))).toEqual([]);
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
});

describe('the CA secret', () => {
  it('is encrypted with its own customer-managed key and retained on stack deletion', () => {
    const secret = resources('AWS::SecretsManager::Secret')[secretId]!;
    expect(secret.Properties.KmsKeyId).toEqual(arnOf(caKeyId));
    expect(secret.DeletionPolicy).toBe('Retain');
    expect(resources('AWS::KMS::Key')[caKeyId]?.Properties.EnableKeyRotation).toBe(true);
  });
});

describe('the functions', () => {
  it('are one per distinct handler of ROUTES, each bundled from functions/<handler>.ts', () => {
    expect([...api.functions.keys()].sort()).toEqual([...HANDLERS].sort());
    template.resourceCountIs('AWS::Lambda::Function', HANDLERS.length);
    for (const handler of HANDLERS) {
      expect(resources('AWS::Lambda::Function')[id(fnOf(handler))]?.Properties).toMatchObject({
        Handler: 'index.handler',
        Description: `functions/${handler}.ts`,
      });
    }
  });

  it.each(HANDLERS)('%s runs Node 22 on arm64 with 512 MB, 10 s, active tracing and source maps', (handler) => {
    const props = functionProps(handler);
    expect(props.Runtime).toBe('nodejs22.x');
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.MemorySize).toBe(512);
    expect(props.Timeout).toBe(10);
    expect(props.TracingConfig).toEqual({ Mode: 'Active' });
    expect(props.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(props.Environment.Variables).not.toHaveProperty('AWS_NODEJS_CONNECTION_REUSE_ENABLED');
  });

  it.each(HANDLERS)('%s logs to its own log group with a retention', (handler) => {
    const logGroupId = functionProps(handler).LoggingConfig.LogGroup.Ref;
    expect(resources('AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays).toBe(30);
  });

  it.each(HANDLERS)('%s has TABLE_NAME exactly when it is granted the table', (handler) => {
    const variables = functionProps(handler).Environment.Variables;
    if ([...TABLE_READERS, ...TABLE_WRITERS].includes(handler)) expect(variables.TABLE_NAME).toEqual(ref(tableId));
    else expect(variables).not.toHaveProperty('TABLE_NAME');
  });

  it.each(HANDLERS)('%s has CA_SECRET_ID exactly when it is granted the CA secret', (handler) => {
    const variables = functionProps(handler).Environment.Variables;
    if (CA_USERS.includes(handler)) expect(variables.CA_SECRET_ID).toEqual(ref(secretId));
    else expect(variables).not.toHaveProperty('CA_SECRET_ID');
  });
});

describe('least privilege', () => {
  const tableResources = [arnOf(tableId), { 'Fn::Join': ['', [arnOf(tableId), '/index/*']] }];

  it.each(TABLE_READERS)('%s reads the table and its indexes but holds no DynamoDB write action', (handler) => {
    const statements = roleStatements(handler);
    const dynamo = statements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actions)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(dynamo.flatMap(actions).filter((a) => DYNAMODB_WRITES.test(a))).toEqual([]);
    for (const statement of dynamo) expect(statement.Resource).toEqual(tableResources);
    // Reading needs only Decrypt on the table's key.
    const kms = statements.filter((s) => actions(s).some((a) => a.startsWith('kms:')));
    expect(kms.flatMap(actions).sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    for (const statement of kms) expect(statement.Resource).toEqual(arnOf(tableKeyId));
  });

  it.each(TABLE_WRITERS)('%s reads and writes the table (transactions are authorized per Put/Update/Delete)', (handler) => {
    const dynamo = roleStatements(handler).filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actions)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']));
    for (const statement of dynamo) expect(statement.Resource).toEqual(tableResources);
  });

  it.each(CA_USERS)('%s may read the CA secret and store it once, and nothing else on it', (handler) => {
    const secrets = roleStatements(handler).filter((s) => actions(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets.flatMap(actions).sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']);
    for (const statement of secrets) expect(statement.Resource).toEqual(ref(secretId));
    // Its key only through Secrets Manager: decrypt to read, a data key to write.
    const viaKey = keyStatementsFor(handler, caKeyId);
    expect(viaKey.flatMap(actions).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    for (const statement of viaKey) {
      expect(JSON.stringify(statement.Condition?.StringEquals?.['kms:ViaService'])).toContain('secretsmanager.');
    }
  });

  it.each(HANDLERS.filter((h) => !CA_USERS.includes(h)))('%s has no access to the CA secret or its key', (handler) => {
    expect(roleStatements(handler).flatMap(actions).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    expect(keyStatementsFor(handler, caKeyId)).toEqual([]);
  });

  it.each(HANDLERS.filter((h) => !TABLE_READERS.includes(h) && !TABLE_WRITERS.includes(h)))('%s has no access to the table or its key', (handler) => {
    const granted = roleStatements(handler).flatMap(actions);
    expect(granted.filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    expect(JSON.stringify(roleStatements(handler))).not.toContain(tableKeyId);
  });

  it.each(NO_ACCESS)('%s can only send traces', (handler) => {
    expect(roleStatements(handler).flatMap(actions).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('grants no "*" or "service:*" action in any identity policy, and "*" resources only for X-Ray', () => {
    const identityStatements = [
      ...Object.values(resources('AWS::IAM::Policy')),
      ...Object.values(resources('AWS::IAM::ManagedPolicy')),
    ].flatMap(({ Properties }) => (Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const inline = Object.values(resources('AWS::IAM::Role')).flatMap(({ Properties }) =>
      ((Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) => p.PolicyDocument.Statement),
    );
    const all = [...identityStatements, ...inline];
    expect(all.length).toBeGreaterThan(0);
    expect(all.flatMap(actions).filter((a) => a === '*' || /^[\w-]+:\*$/.test(a))).toEqual([]);
    const starResources = all.filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')));
    expect(starResources.flatMap(actions).filter((a) => !a.startsWith('xray:'))).toEqual([]);
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
    const other = synth({ jwtIssuer: 'https://login.example.com/', jwtAudience: 'web, cli' });
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
