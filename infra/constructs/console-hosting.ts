import { Aws, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { consoleCsp, writeConsole } from '../console-build.js';
import { acknowledge, wildcardResourceFinding } from './nag.js';

export interface ConsoleHostingProps {
  /** A custom domain for the console, with an ACM certificate for it in us-east-1 (CloudFront's region). */
  domain?: { name: string; certificateArn: string } | undefined;
  /** A WAF web ACL (scope CLOUDFRONT, so in us-east-1) to put in front of the console. */
  webAclArn?: string | undefined;
}

/**
 * The web console as static files: a private S3 bucket read only by CloudFront (origin access
 * control), HTTPS only, with security headers (a CSP that lets the page reach only this stack's
 * API and S3 in its region). `publish` adds the files and their config.json once the API exists.
 */
export class ConsoleHosting extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** Where the console runs (https, no path): what CORS of the API and the intake bucket allow. */
  readonly origin: string;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps = {}) {
    super(scope, id);
    // CloudFront standard logs are delivered with an ACL grant, so this log bucket (unlike the
    // stack's other buckets) has ACLs enabled, for the log delivery account only.
    const logs = new Bucket(this, 'Logs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(logs, 'AwsSolutions-S1', 'This is the log bucket of the console (CloudFront logs and the console bucket\'s access logs): logging its own requests into itself would log the log deliveries without end.');

    this.bucket = new Bucket(this, 'Files', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'console-files/',
      // Only built files live here; a deployment writes them again.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const region = Stack.of(this).region;
    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'certrevoke console: CSP, HSTS, no framing, no sniffing, no referrer',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          // The API and the upload bucket by pattern: naming them exactly would make the
          // distribution depend on the API, whose CORS depends on the distribution.
          contentSecurityPolicy: consoleCsp({ api: `https://*.execute-api.${region}.${Aws.URL_SUFFIX}`, uploads: `https://*.s3.${region}.${Aws.URL_SUFFIX}` }),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'certrevoke console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_ALL,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
      // A minimum TLS version takes a certificate of our own: the default one accepts what CloudFront's does.
      ...(props.domain
        ? { domainNames: [props.domain.name], certificate: Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn), minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021 }
        : {}),
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
    });
    acknowledge(this.distribution, 'AwsSolutions-CFR1', 'The console serves the customers of a certificate service wherever they are; access is controlled by sign-in, not by country. Add a geo restriction here if the service is regional.');
    if (!props.webAclArn) {
      acknowledge(this.distribution, 'AwsSolutions-CFR2', 'The console is static files behind sign-in (the API has its own throttling); a CloudFront web ACL must be created in us-east-1, outside this region-agnostic stack: pass -c consoleWebAclArn to attach one.');
    }
    if (!props.domain) {
      acknowledge(this.distribution, 'AwsSolutions-CFR4', 'Without a custom domain the console uses the default *.cloudfront.net certificate, on which CloudFront cannot enforce a minimum TLS version; pass -c consoleDomainName and -c consoleCertificateArn to serve it with TLS 1.2 (TLSv1.2_2021) at least.');
    }
    this.origin = props.domain ? `https://${props.domain.name}` : `https://${this.distribution.distributionDomainName}`;
    new CfnOutput(this, 'ConsoleUrl', { value: `${this.origin}/`, description: 'The web console' });
  }

  /**
   * Uploads the built console and its config.json (where the API is), replacing what was there,
   * and clears CloudFront's cache of them. Built now, by the local esbuild.
   */
  publish(config: { apiUrl: string; signIn?: Record<string, string> | undefined }): BucketDeployment {
    const deployment = new BucketDeployment(this, 'Publish', {
      destinationBucket: this.bucket,
      sources: [Source.asset(writeConsole()), Source.jsonData('config.json', config)],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      // No hashed file names: browsers revalidate every file (a 304 when unchanged).
      cacheControl: [CacheControl.noCache()],
      prune: true,
      memoryLimit: 256,
    });
    const handler = Stack.of(this).node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler) {
      const reason =
        "CDK's own BucketDeployment handler, which runs only during deployments to copy the console's files into its bucket and invalidate CloudFront: ";
      acknowledge(handler, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', `${reason}AWSLambdaBasicExecutionRole lets it log to the log group Lambda creates for it.`);
      acknowledge(handler, 'AwsSolutions-IAM5[Action::s3:GetObject*]', `${reason}CDK grants it read of the asset and write of the console bucket with its grant helpers' wildcard actions.`);
      acknowledge(handler, 'AwsSolutions-IAM5[Action::s3:GetBucket*]', `${reason}the same grant helpers.`);
      acknowledge(handler, 'AwsSolutions-IAM5[Action::s3:List*]', `${reason}the same grant helpers.`);
      acknowledge(handler, 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', `${reason}prune removes files no longer in the build.`);
      acknowledge(handler, 'AwsSolutions-IAM5[Action::s3:Abort*]', `${reason}the same grant helpers.`);
      acknowledge(handler, 'AwsSolutions-IAM5[Resource::*]', `${reason}cloudfront:CreateInvalidation and GetInvalidation, which CDK grants on every distribution.`);
      acknowledge(handler, wildcardResourceFinding(this, this.bucket.arnForObjects('*')), `${reason}every object of the console bucket, which holds the console's files and nothing else.`);
      acknowledge(handler, 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]', `${reason}it reads the console's zipped files from the CDK bootstrap assets bucket.`);
      acknowledge(handler, 'AwsSolutions-L1', `${reason}its runtime is chosen by CDK, not by this project.`);
    }
    return deployment;
  }
}
