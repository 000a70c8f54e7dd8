import { CfnOutput, Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpNoneAuthorizer, LogGroupLogDestination, type CfnStage, type HttpStage, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ROUTES, type RouteName } from '../lib/http/contract.js';
import { CognitoIssuer, type JwtIssuer } from './constructs/cognito-issuer.js';
import { acknowledge } from './constructs/nag.js';
import {
  pascalCase,
  ServiceFunction,
  type EvidenceAccess,
  type IntakeAccess,
  type KeyVaultAccess,
  type SecretAccess,
  type StateMachineAccess,
  type TableAccess,
} from './constructs/function.js';

/** A Lambda entry under functions/, as named by the ROUTES table. */
export type HandlerName = (typeof ROUTES)[RouteName]['handler'];

interface FunctionAccess {
  table?: TableAccess;
  caSecret?: SecretAccess;
  /** The revocation workflow's state machine. */
  revocationWorkflow?: StateMachineAccess;
  /** The reissue workflow's state machine. */
  reissueWorkflow?: StateMachineAccess;
  /** The key vault's KMS key: `seal` a generated private key, or `open` it. */
  keyVault?: KeyVaultAccess;
  /** Completing or failing a workflow task that waits for a callback (any state machine: see bindTaskCallbacks). */
  taskCallbacks?: true;
  /** The letters intake bucket (`uploads/`). */
  intake?: IntakeAccess;
  /** The letters evidence bucket (`evidence/`). */
  evidence?: EvidenceAccess;
}

/**
 * What each function may touch, and nothing more. A handler added to ROUTES fails to compile
 * until it is listed here.
 */
const ACCESS = {
  health: {},
  'get-openapi': {},
  // Public: serve what CaPublisher published, from the CA's partition; no CA key.
  'get-ca-certificate': { table: 'publication' },
  // Signs with the CA that CaPublisher created at deployment; cannot write the CA's secret.
  'register-certificate': { table: 'readWrite', caSecret: 'read' },
  // The sweep on demand: conditional writes, and a look under expired upload slots (see scheduled-sweep).
  'run-sweep': { table: 'readWrite', intake: 'renotify' },
  'list-certificates': { table: 'read' },
  'get-certificate': { table: 'read' },
  'download-certificate': { table: 'read' },
  'delete-certificate': { table: 'readWrite' },
  'certificate-events': { table: 'read' },
  'submit-revocation': { table: 'readWrite', revocationWorkflow: 'start' },
  'get-revocation': { table: 'read' },
  // Runs the workflow's validation step now (DNS and HTTP probes); the workflow reads the result.
  'check-validation': { table: 'readWrite' },
  // Renders the PDF from the request and certificate; touches no bucket.
  'letter-template': { table: 'read' },
  // Records the slot and signs a presigned POST: the upload is authorised by this function's own
  // PutObject on `uploads/*`, so that is all it holds on the bucket.
  'letter-upload': { table: 'readWrite', intake: 'upload' },
  'list-reviews': { table: 'read' },
  // Presigns 5-minute GETs of the accepted letter and its thumbnail.
  'get-review': { table: 'read', evidence: 'read' },
  // Completes the waiting review task; restarts the workflow (revocation or reissue) when that task no longer waits.
  'decide-review': { table: 'readWrite', taskCallbacks: true, revocationWorkflow: 'start', reissueWorkflow: 'start' },
  // Reads the original's CSR from the table (no CA); seals a generated private key.
  'submit-reissue': { table: 'readWrite', keyVault: 'seal', reissueWorkflow: 'start' },
  'get-reissue': { table: 'read' },
  // Opens the sealed private key once, then destroys it (a write).
  'reissue-private-key': { table: 'readWrite', keyVault: 'open' },
  'get-crl': { table: 'publication' },
} as const satisfies Record<HandlerName, FunctionAccess>;

/** Functions that need longer than the default 10 s. API Gateway gives up on an integration after 30 s. */
const TIMEOUTS: Partial<Record<HandlerName, Duration>> = {
  'run-sweep': Duration.seconds(29),
};

/**
 * Each route's throttling on the stage: `rate` is the steady requests per second, `burst` the
 * bucket. One row per route (a route added to ROUTES fails to compile until it has one). HTTP
 * APIs have no per-client usage plans: a route's limit is shared by all its callers, and beyond
 * it API Gateway answers 429.
 * - Reads and the public documents: 50/s, bursts of 100.
 * - Submissions and other writes: 10/s, bursts of 20.
 * - Routes that cost more than a write — they sign with the CA, generate keys or probe the
 *   customer's DNS and web server from our functions: 5/s, bursts of 10.
 * - POST /admin/sweeps runs a sweep of up to 29 s: 1/s, bursts of 2.
 */
export const ROUTE_THROTTLING = {
  health: { rate: 50, burst: 100 },
  openapi: { rate: 50, burst: 100 },
  caCertificate: { rate: 50, burst: 100 },
  crl: { rate: 50, burst: 100 },
  registerCertificate: { rate: 5, burst: 10 },
  runSweep: { rate: 1, burst: 2 },
  listCertificates: { rate: 50, burst: 100 },
  getCertificate: { rate: 50, burst: 100 },
  downloadCertificate: { rate: 50, burst: 100 },
  deleteCertificate: { rate: 10, burst: 20 },
  certificateEvents: { rate: 50, burst: 100 },
  submitRevocation: { rate: 10, burst: 20 },
  getRevocation: { rate: 50, burst: 100 },
  checkValidation: { rate: 5, burst: 10 },
  letterTemplate: { rate: 50, burst: 100 },
  letterUpload: { rate: 10, burst: 20 },
  listReviews: { rate: 50, burst: 100 },
  getReview: { rate: 50, burst: 100 },
  decideReview: { rate: 10, burst: 20 },
  submitReissue: { rate: 5, burst: 10 },
  getReissue: { rate: 50, burst: 100 },
  reissuePrivateKey: { rate: 50, burst: 100 },
} as const satisfies Record<RouteName, { rate: number; burst: number }>;
/** The stage's default, for any request that matches no route above. */
export const DEFAULT_THROTTLING: ThrottleSettings = { rateLimit: 50, burstLimit: 100 };

type PublicRoute = { [K in RouteName]: (typeof ROUTES)[K]['auth'] extends 'public' ? K : never }[RouteName];
/**
 * Why each public route has no authorizer (cdk-nag AwsSolutions-APIG4). A route made public in
 * ROUTES fails to compile until it has a reason here.
 */
const PUBLIC_ROUTE_REASONS: Record<PublicRoute, string> = {
  health: 'GET /health is the liveness check for uptime monitors and load tests, which hold no token; it answers {"status":"ok"} and reads nothing.',
  openapi: 'GET /openapi.json is the published API contract (the same document as API.md), generated from the route table; it holds no account data.',
  caCertificate: 'GET /ca.pem is the CA certificate, which is public by nature: relying parties without an account need it to verify the certificates the CA issues.',
  crl: 'GET /crl is the CA-signed revocation list; RFC 5280 relying parties fetch it without credentials, and its signature, not the transport, makes it trustworthy.',
};

/**
 * What browsers on the console's origin may send (CORS): the methods of ROUTES, the bearer
 * token, JSON bodies and the revocation's Idempotency-Key; and what they may read besides the
 * CORS-safelisted headers: Location (of a created resource) and Content-Disposition (the file
 * name of a downloaded certificate, key or letter). No credentials: the token is a header, not a cookie.
 */
const CORS_ALLOW_HEADERS = ['authorization', 'content-type', 'idempotency-key'];
const CORS_EXPOSE_HEADERS = ['location', 'content-disposition'];

export interface ApiProps {
  table: ITable;
  caSecret: ISecret;
  revocationStateMachine: IStateMachine;
  reissueStateMachine: IStateMachine;
  /** The key vault's KMS key, which wraps generated private keys. */
  keyVaultKey: IKey;
  letterIntake: IBucket;
  letterEvidence: IBucket;
  /** Who signs accepted tokens; when absent a Cognito user pool is created. */
  jwt?: JwtIssuer;
  /** The console's origin (https, no path): the only origin CORS allows, and the user pool's callback origin. */
  consoleOrigin: string;
}

/**
 * The stateless side: one function per handler named in ROUTES and an HTTP API whose routes
 * are generated from the same table, with the JWT authorizer on every route that is not public.
 */
export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly functions: ReadonlyMap<HandlerName, ServiceFunction>;
  /** Who signs the tokens the authorizer accepts: the given issuer, or the user pool created here. */
  readonly jwt: JwtIssuer;
  /** The functions of the token issuer (the user pool's Pre Token Generation trigger); none for an external issuer. */
  readonly issuerFunctions: readonly ServiceFunction[];

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    const functions = new Map<HandlerName, ServiceFunction>();
    const integrations = new Map<HandlerName, HttpLambdaIntegration>();
    for (const handler of new Set(Object.values(ROUTES).map((route) => route.handler))) {
      const timeout = TIMEOUTS[handler];
      const fn = new ServiceFunction(this, pascalCase(handler), { entry: `functions/${handler}.ts`, ...(timeout ? { timeout } : {}) });
      const access: FunctionAccess = ACCESS[handler];
      if (access.table) fn.bindTable(props.table, access.table);
      if (access.caSecret) fn.bindCaSecret(props.caSecret, access.caSecret);
      if (access.revocationWorkflow) fn.bindStateMachine('revocation', props.revocationStateMachine, access.revocationWorkflow);
      if (access.reissueWorkflow) fn.bindStateMachine('reissue', props.reissueStateMachine, access.reissueWorkflow);
      if (access.keyVault) fn.bindKeyVault(props.keyVaultKey, access.keyVault);
      if (access.taskCallbacks) fn.bindTaskCallbacks();
      if (access.intake) fn.bindIntake(props.letterIntake, access.intake);
      if (access.evidence) fn.bindEvidence(props.letterEvidence, access.evidence);
      functions.set(handler, fn);
      integrations.set(handler, new HttpLambdaIntegration(`${pascalCase(handler)}Integration`, fn));
    }
    this.functions = functions;

    const jwt = props.jwt ?? new CognitoIssuer(this, 'Issuer', { consoleOrigin: props.consoleOrigin });
    if (jwt.scopes.length === 0) throw new Error('The JWT issuer must name at least one scope for the routes to require: an ID token carries none.');
    this.jwt = jwt;
    this.issuerFunctions = jwt instanceof CognitoIssuer ? [jwt.preTokenGeneration] : [];
    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', jwt.issuer, { jwtAudience: jwt.audience });
    // Explicit, so a default authorizer added to the API later cannot silently cover them.
    const noAuth = new HttpNoneAuthorizer();

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'certrevoke HTTP API',
      // The default stage cannot take access log settings; this one is the same `$default`.
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [props.consoleOrigin],
        allowMethods: [...new Set(Object.values(ROUTES).map((route) => CorsHttpMethod[route.method]))],
        allowHeaders: CORS_ALLOW_HEADERS,
        exposeHeaders: CORS_EXPOSE_HEADERS,
        allowCredentials: false,
        maxAge: Duration.hours(1),
      },
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: DEFAULT_THROTTLING,
      accessLogSettings: {
        destination: new LogGroupLogDestination(new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH })),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sub: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });

    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const [name, route] of Object.entries(ROUTES) as [RouteName, (typeof ROUTES)[RouteName]][]) {
      const [httpRoute] = this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrations.get(route.handler)!,
        // The gateway checks the token and its scope; the handler checks the role (lib/http/auth.ts).
        ...(route.auth === 'public' ? { authorizer: noAuth } : { authorizer, authorizationScopes: jwt.scopes }),
      });
      if (route.auth === 'public') acknowledge(httpRoute!, 'AwsSolutions-APIG4', PUBLIC_ROUTE_REASONS[name as PublicRoute]);
      const { rate, burst } = ROUTE_THROTTLING[name];
      routeSettings[`${route.method} ${route.path}`] = { ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst };
      // CloudFormation rejects settings for a route the stage cannot find yet.
      this.stage.node.addDependency(httpRoute!);
    }
    (this.stage.node.defaultChild as CfnStage).routeSettings = routeSettings;

    new CfnOutput(this, 'ApiUrl', { value: this.stage.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'JwtIssuer', { value: jwt.issuer, description: 'The issuer the JWT authorizer accepts' });
    new CfnOutput(this, 'JwtScopes', { value: jwt.scopes.join(' '), description: 'The scopes every authorized route requires' });
    if (jwt instanceof CognitoIssuer) {
      new CfnOutput(this, 'UserPoolId', { value: jwt.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: jwt.client.userPoolClientId });
      new CfnOutput(this, 'SignInUrl', { value: jwt.domain.baseUrl(), description: 'Managed login (authorization code grant with PKCE)' });
    }
  }
}
