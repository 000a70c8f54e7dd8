import { CfnOutput, Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpNoneAuthorizer, LogGroupLogDestination, type HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
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
  // The CA is created on first use by whichever function needs it first.
  'get-ca-certificate': { caSecret: 'readWrite' },
  'register-certificate': { table: 'readWrite', caSecret: 'readWrite' },
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
  // Re-signs and stores the CRL when it is stale.
  'get-crl': { table: 'readWrite', caSecret: 'readWrite' },
} as const satisfies Record<HandlerName, FunctionAccess>;

/** Functions that need longer than the default 10 s. API Gateway gives up on an integration after 30 s. */
const TIMEOUTS: Partial<Record<HandlerName, Duration>> = {
  'run-sweep': Duration.seconds(29),
};

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
}

/**
 * The stateless side: one function per handler named in ROUTES and an HTTP API whose routes
 * are generated from the same table, with the JWT authorizer on every route that is not public.
 */
export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly functions: ReadonlyMap<HandlerName, ServiceFunction>;

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

    const jwt = props.jwt ?? new CognitoIssuer(this, 'Issuer');
    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', jwt.issuer, { jwtAudience: jwt.audience });
    // Explicit, so a default authorizer added to the API later cannot silently cover them.
    const noAuth = new HttpNoneAuthorizer();

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'certrevoke HTTP API',
      // The default stage cannot take access log settings; this one is the same `$default`.
      createDefaultStage: false,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
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

    for (const route of Object.values(ROUTES)) {
      this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integrations.get(route.handler)!,
        // Roles are checked by the handler (lib/http/auth.ts); the gateway checks the token.
        authorizer: route.auth === 'public' ? noAuth : authorizer,
      });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.stage.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'JwtIssuer', { value: jwt.issuer, description: 'The issuer the JWT authorizer accepts' });
    if (jwt instanceof CognitoIssuer) {
      new CfnOutput(this, 'UserPoolId', { value: jwt.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: jwt.client.userPoolClientId });
    }
  }
}
