import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { buildConsole } from '../../infra/console-build.js';

/** The web console's hosting: S3 behind CloudFront (origin access control), headers, and its deployment. */
const cdkContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: object }).context;
function synth(context: Record<string, string> = {}) {
  const built = buildApp(new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...context } }));
  const template = Template.fromStack(built.stack);
  const id = (construct: IConstruct) => built.stack.getLogicalId(construct.node.defaultChild as CfnElement);
  type Resources = Record<string, { Properties: Record<string, unknown> }>;
  const resources = (type: string) => template.findResources(type) as Resources;
  return { ...built, template, id, resources };
}
const { console: hosting, api, stateful, template, id, resources } = synth();
const only = (type: string) => {
  const all = Object.values(resources(type));
  expect(all).toHaveLength(1);
  return all[0]!.Properties;
};
type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Principal?: unknown; Condition?: unknown };

describe('the console bucket', () => {
  it('is private, encrypted, versioned and logged, and readable only by its CloudFront distribution', () => {
    const bucket = resources('AWS::S3::Bucket')[id(hosting.bucket)]!.Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.LoggingConfiguration).toMatchObject({ LogFilePrefix: 'console-files/' });
    const policy = Object.values(resources('AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: id(hosting.bucket) }))!.Properties;
    const statements = (policy.PolicyDocument as { Statement: Statement[] }).Statement;
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id(hosting.bucket), 'Arn'] }, '/*']] },
        Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } },
      },
    ]);
    expect(JSON.stringify(allows[0]!.Condition)).toContain(id(hosting.distribution));
    // TLS only.
    expect(statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('aws:SecureTransport'))).toBe(true);
  });
});

describe('the console distribution', () => {
  const config = () => only('AWS::CloudFront::Distribution').DistributionConfig as Record<string, unknown>;

  it('serves index.html over HTTPS only, GET and HEAD, through origin access control, and logs every request', () => {
    expect(config()).toMatchObject({
      DefaultRootObject: 'index.html',
      Enabled: true,
      HttpVersion: 'http2and3',
      DefaultCacheBehavior: { ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'], Compress: true },
      Logging: { Prefix: 'cloudfront/' },
    });
    const origins = config().Origins as { OriginAccessControlId?: unknown; S3OriginConfig?: unknown }[];
    expect(origins).toHaveLength(1);
    expect(origins[0]!.OriginAccessControlId).toBeDefined();
    expect(only('AWS::CloudFront::OriginAccessControl').OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
  });

  it('sends a CSP that lets the page reach only the API and S3 of its region, with HSTS, no framing, no sniffing, no referrer', () => {
    const headers = only('AWS::CloudFront::ResponseHeadersPolicy').ResponseHeadersPolicyConfig as { SecurityHeadersConfig: Record<string, Record<string, unknown>> };
    const security = headers.SecurityHeadersConfig;
    const csp = JSON.stringify(security.ContentSecurityPolicy!.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' https://*.execute-api.");
    expect(csp).toContain('https://*.s3.');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(security.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(security.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 31_536_000, IncludeSubdomains: true });
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    expect(security.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
  });

  it('is the origin the API and the intake bucket allow when no -c consoleOrigin is given', () => {
    const hosted = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [id(hosting.distribution), 'DomainName'] }]] };
    expect((only('AWS::ApiGatewayV2::Api').CorsConfiguration as { AllowOrigins: unknown[] }).AllowOrigins).toEqual([hosted]);
    expect(JSON.stringify(resources('AWS::S3::Bucket')[id(stateful.letterIntake)]!.Properties.CorsConfiguration)).toContain(id(hosting.distribution));
  });

  it('takes a custom domain and its us-east-1 certificate from context, and then requires TLS 1.2', () => {
    const custom = synth({ consoleDomainName: 'console.acme.test', consoleCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123' });
    const c = (Object.values(custom.resources('AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig as Record<string, unknown>);
    expect(c).toMatchObject({ Aliases: ['console.acme.test'], ViewerCertificate: { AcmCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123', MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' } });
    expect(custom.console.origin).toBe('https://console.acme.test');
    expect(() => synth({ consoleDomainName: 'console.acme.test' })).toThrow(/both -c consoleDomainName and -c consoleCertificateArn/);
    expect(() => synth({ consoleDomainName: 'console.acme.test', consoleCertificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc' })).toThrow(/us-east-1/);
    expect(() => synth({ consoleWebAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/1' })).toThrow(/consoleWebAclArn/);
  });
});

describe('the console deployment', () => {
  it('uploads the built console and a config.json naming this stack\'s API, and invalidates the distribution', () => {
    const deployment = only('Custom::CDKBucketDeployment');
    expect(deployment).toMatchObject({ DestinationBucketName: { Ref: id(hosting.bucket) }, DistributionId: { Ref: id(hosting.distribution) }, DistributionPaths: ['/*'], Prune: true });
    expect(deployment.SourceObjectKeys).toHaveLength(2);
    // config.json is rendered at deploy time from the API stage's URL (a marker CDK replaces).
    expect(JSON.stringify(deployment.SourceMarkers)).toContain(id(api.httpApi));
    expect(buildConsole().map((f) => f.name).sort()).toEqual(['app.js', 'app.js.map', 'index.html', 'styles.css']);
  });

  it("gives CDK's deployment handler the console bucket, the assets bucket and invalidations only: nothing of the service's data", () => {
    const policies = Object.values(resources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes('CustomCDKBucketDeployment'));
    expect(policies.length).toBeGreaterThan(0);
    const statements = policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    const text = JSON.stringify(statements);
    for (const forbidden of [stateful.table, stateful.letterIntake, stateful.letterEvidence, stateful.caSecret, stateful.keyVaultKey, stateful.accessLogs]) {
      expect(text).not.toContain(id(forbidden));
    }
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions.filter((a) => !a.startsWith('s3:'))).toEqual(['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation']);
    expect(actions.filter((a) => /^(kms|dynamodb|secretsmanager|states|lambda|iam):/.test(a))).toEqual([]);
  });
});

it('the synthesized template holds one console: one distribution, one deployment', () => {
  template.resourceCountIs('AWS::CloudFront::Distribution', 1);
  template.resourceCountIs('Custom::CDKBucketDeployment', 1);
});
