import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { JwtIssuer } from './constructs/cognito-issuer.js';
import { ConsoleHosting, type ConsoleHostingProps } from './constructs/console-hosting.js';
import { Stateful } from './stateful.js';
import { Stateless } from './stateless.js';

/**
 * The CDK app: one environment-agnostic stack, so `cdk synth` needs no account or credentials.
 *
 * Two constructs in one stack: Stateful (table, buckets, keys, CA secret) and Stateless
 * (functions, API, workflows, schedule, alarms), which gets the stateful resources as typed
 * props. One stack rather than two: the CA secret's key grants go through Secrets Manager
 * (kms:ViaService), which CDK writes into the key's policy, so a key in one stack and roles in
 * another form a dependency cycle. The stateful resources are retained on delete and the table
 * is deletion-protected, which is what a separate stack would protect.
 *
 * Token issuer, from context:
 *   -c jwtIssuer=https://issuer.example -c jwtAudience=client-a,client-b -c jwtScopes=api.read,api.write
 *      every authorized route requires all the scopes (ID tokens carry none, so they never pass).
 * Without them, the stack creates a Cognito user pool, its app client and the `certrevoke/api`
 * scope, and trusts those; its callback and sign-out URLs are on consoleOrigin.
 *
 * The web console, from context (all optional):
 *   -c consoleDomainName=console.example.org -c consoleCertificateArn=arn:aws:acm:us-east-1:…
 *      serve it on a custom domain (TLS 1.2 at least); default: the distribution's own domain.
 *   -c consoleWebAclArn=arn:aws:wafv2:us-east-1:…:global/webacl/…   a WAF web ACL in front of it.
 *   -c consoleOrigin=https://console.example.com   the only origin whose browsers may POST
 *      uploads to the intake bucket and call the HTTP API (CORS) and the user pool's callback
 *      origin; an https origin, no path. Default: where the stack hosts the console.
 *
 * Letters, from context:
 *   -c evidenceRetentionDays=365   how long each accepted letter is locked in the evidence bucket
 *      (S3 Object Lock, GOVERNANCE mode); a whole number of days. Default below.
 *
 * Alarms, from context:
 *   -c alarmTopicArn=arn:aws:sns:…   an SNS topic that receives every alarm and its return to OK.
 *      Default: none, alarms only show in the CloudWatch console.
 */
export const DEFAULT_EVIDENCE_RETENTION_DAYS = 365;

export function buildApp(app: App): { stack: Stack; stateful: Stateful; stateless: Stateless; console: ConsoleHosting } & Pick<Stateless, 'revocation' | 'reissue' | 'api' | 'letters' | 'sweep' | 'caPublisher'> {
  const stack = new Stack(app, 'Certrevoke', { description: 'certrevoke: certificate lifecycle API' });
  // The console first: unless told otherwise, its address is the origin everything else allows.
  const hosting = new ConsoleHosting(stack, 'Console', consoleHostingFromContext(app));
  const consoleOrigin = consoleOriginFromContext(app) ?? hosting.origin;
  const stateful = new Stateful(stack, 'Stateful', {
    consoleOrigin,
    evidenceRetention: Duration.days(evidenceRetentionDaysFromContext(app)),
  });
  const stateless = new Stateless(stack, 'Stateless', { stateful, consoleOrigin, jwt: jwtIssuerFromContext(app), alarmTopic: alarmTopicFromContext(stack) });
  hosting.publish({ apiUrl: stateless.api.stage.url });
  const { revocation, reissue, api, letters, sweep, caPublisher } = stateless;
  return { stack, stateful, stateless, console: hosting, revocation, reissue, api, letters, sweep, caPublisher };
}

function consoleHostingFromContext(app: App): ConsoleHostingProps {
  const name: unknown = app.node.tryGetContext('consoleDomainName');
  const certificateArn: unknown = app.node.tryGetContext('consoleCertificateArn');
  const webAclArn: unknown = app.node.tryGetContext('consoleWebAclArn');
  if ((name === undefined) !== (certificateArn === undefined)) throw new Error('Give both -c consoleDomainName and -c consoleCertificateArn (an ACM certificate in us-east-1), or neither.');
  if (name !== undefined && (typeof name !== 'string' || !/^(?=.{1,253}$)([a-z0-9](-*[a-z0-9])*\.)+[a-z]{2,63}$/i.test(name))) throw new Error(`-c consoleDomainName must be a domain name such as console.example.org; got ${String(name)}.`);
  if (certificateArn !== undefined && (typeof certificateArn !== 'string' || !/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(certificateArn))) {
    throw new Error(`-c consoleCertificateArn must be an ACM certificate ARN in us-east-1 (CloudFront's region); got ${String(certificateArn)}.`);
  }
  if (webAclArn !== undefined && (typeof webAclArn !== 'string' || !/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/.+$/.test(webAclArn))) {
    throw new Error(`-c consoleWebAclArn must be a CloudFront-scope WAF web ACL ARN (wafv2, us-east-1, global); got ${String(webAclArn)}.`);
  }
  return {
    ...(typeof name === 'string' && typeof certificateArn === 'string' ? { domain: { name, certificateArn } } : {}),
    ...(typeof webAclArn === 'string' ? { webAclArn } : {}),
  };
}

function consoleOriginFromContext(app: App): string | undefined {
  const value: unknown = app.node.tryGetContext('consoleOrigin');
  if (value === undefined) return undefined;
  const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
  // An origin exactly as browsers send it: scheme, host and a non-default port, nothing else.
  if (!url || url.protocol !== 'https:' || url.origin !== value) {
    throw new Error(`-c consoleOrigin must be an https origin such as https://console.example.org (no path, no trailing slash); got ${String(value)}.`);
  }
  return value;
}

function evidenceRetentionDaysFromContext(app: App): number {
  const value: unknown = app.node.tryGetContext('evidenceRetentionDays') ?? DEFAULT_EVIDENCE_RETENTION_DAYS;
  // -c gives strings; cdk.json or a test may give a number.
  const days = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(days) || days < 1) throw new Error(`-c evidenceRetentionDays must be a whole number of days, at least 1; got ${String(value)}.`);
  return days;
}

function alarmTopicFromContext(stack: Stack): ITopic | undefined {
  const value: unknown = stack.node.tryGetContext('alarmTopicArn');
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/.test(value)) {
    throw new Error(`-c alarmTopicArn must be an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:certrevoke-alarms; got ${String(value)}.`);
  }
  return Topic.fromTopicArn(stack, 'AlarmTopic', value);
}

function jwtIssuerFromContext(app: App): JwtIssuer | undefined {
  const issuer: unknown = app.node.tryGetContext('jwtIssuer');
  const audience: unknown = app.node.tryGetContext('jwtAudience');
  const scopes: unknown = app.node.tryGetContext('jwtScopes');
  if (issuer === undefined && audience === undefined && scopes === undefined) return undefined;
  if (typeof issuer !== 'string' || !issuer.startsWith('https://') || typeof audience !== 'string' || audience.trim() === '') {
    throw new Error('Give both -c jwtIssuer=https://… and -c jwtAudience=<id>[,<id>…] (with -c jwtScopes), or none of them for a Cognito user pool.');
  }
  const list = (value: string) => value.split(',').map((a) => a.trim()).filter(Boolean);
  if (typeof scopes !== 'string' || list(scopes).length === 0) {
    throw new Error('-c jwtIssuer needs -c jwtScopes=<scope>[,<scope>…]: the scopes every authorized route requires, so that ID tokens (which carry none) are refused.');
  }
  return { issuer, audience: list(audience), scopes: list(scopes) };
}

// Build only when run as the app (`cdk synth`, which then synthesizes on exit), not when a
// test imports buildApp.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const app = new App();
  buildApp(app);
  checkWithNag(app);
}

/**
 * cdk-nag's AWS Solutions rules as a CDK policy-validation plugin: an unacknowledged finding
 * fails `cdk synth`. Each acknowledgment sits next to its resource with its reason.
 */
export function checkWithNag(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}
