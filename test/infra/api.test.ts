import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THROTTLING, ROUTE_THROTTLING } from '../../infra/api.js';
import { buildApp } from '../../infra/app.js';
import { API_SCOPE, CognitoIssuer, CONSOLE_CALLBACK_PATH, CONSOLE_SIGNED_OUT_PATH, PRE_TOKEN_GENERATION_ENTRY } from '../../infra/constructs/cognito-issuer.js';
import { ROLES } from '../../lib/app/model.js';
import { ROUTES, type RouteName } from '../../lib/http/contract.js';

/** The app as `cdk synth` builds it (cdk.json's feature flags), bundling skipped. */
const cdkContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: object }).context;

function synth(context: Record<string, string> = {}) {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...context } });
  const built = buildApp(app);
  const template = Template.fromStack(built.stack);
  const id = (construct: IConstruct) => built.stack.getLogicalId(construct.node.defaultChild as CfnElement);
  type Resources = Record<string, { Properties: Record<string, unknown>; DependsOn?: string[] }>;
  const resources = (type: string) => template.findResources(type) as Resources;
  const routes = () => Object.values(resources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
  return { ...built, template, id, resources, routes };
}

const built = synth();
const { api, template, id, resources, routes } = built;
/** Without -c consoleOrigin, the console is where the stack hosts it: its CloudFront domain. */
const hostedOrigin = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [id(built.console.distribution), 'DomainName'] }]] };
const withPath = (path: string) => ({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [id(built.console.distribution), 'DomainName'] }, path]] });
/** The same app for another console origin. */
const other = synth({ consoleOrigin: 'https://console.acme.test:8443' });
if (!(api.jwt instanceof CognitoIssuer)) throw new Error('without -c jwtIssuer the API trusts the user pool it creates');
const issuer = api.jwt;
const ref = (logicalId: string) => ({ Ref: logicalId });
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const only = (type: string) => {
  const all = Object.entries(resources(type));
  expect(all, type).toHaveLength(1);
  return { logicalId: all[0]![0], props: all[0]![1].Properties };
};

const routeKey = (name: RouteName) => `${ROUTES[name].method} ${ROUTES[name].path}`;
const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];
const PUBLIC = ROUTE_NAMES.filter((name) => ROUTES[name].auth === 'public');
const AUTHORIZED = ROUTE_NAMES.filter((name) => ROUTES[name].auth !== 'public');

describe('the JWT authorizer', () => {
  it('is the only authorizer: the default user pool as issuer, its app client as audience', () => {
    const authorizer = only('AWS::ApiGatewayV2::Authorizer').props;
    expect(authorizer).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Audience: [ref(id(issuer.client))], Issuer: { 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', ref(id(issuer.userPool))]] } },
    });
  });

  it('lists the public routes exactly: GET /health, /openapi.json, /ca.pem and /crl', () => {
    expect(PUBLIC.map(routeKey).sort()).toEqual(['GET /ca.pem', 'GET /crl', 'GET /health', 'GET /openapi.json']);
  });

  it.each(AUTHORIZED)('guards %s with the authorizer and requires the certrevoke/api scope, so an ID token (no scope) is refused', (name) => {
    const route = routes().find((r) => r.RouteKey === routeKey(name));
    expect(route).toMatchObject({
      AuthorizationType: 'JWT',
      AuthorizerId: ref(only('AWS::ApiGatewayV2::Authorizer').logicalId),
      AuthorizationScopes: [API_SCOPE],
    });
    expect(API_SCOPE).toBe('certrevoke/api');
  });

  it.each(PUBLIC)('leaves %s open: no authorizer, no scopes', (name) => {
    const route = routes().find((r) => r.RouteKey === routeKey(name));
    expect(route?.AuthorizationType).toBe('NONE');
    expect(route).not.toHaveProperty('AuthorizerId');
    expect(route).not.toHaveProperty('AuthorizationScopes');
  });
});

describe('the user pool', () => {
  const pool = () => resources('AWS::Cognito::UserPool')[id(issuer.userPool)]!.Properties;

  it('is on the PLUS feature plan with threat protection enforced, and blocks compromised credentials and high-risk sign-ins', () => {
    expect(pool()).toMatchObject({ UserPoolTier: 'PLUS', UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' } });
    const risk = only('AWS::Cognito::UserPoolRiskConfigurationAttachment').props;
    expect(risk).toMatchObject({
      UserPoolId: ref(id(issuer.userPool)),
      ClientId: 'ALL',
      CompromisedCredentialsRiskConfiguration: { Actions: { EventAction: 'BLOCK' } },
      AccountTakeoverRiskConfiguration: { Actions: { HighAction: { EventAction: 'BLOCK' }, MediumAction: { EventAction: 'MFA_REQUIRED' } } },
    });
  });

  it('requires MFA by TOTP only (no SMS) and strong passwords', () => {
    expect(pool()).toMatchObject({ MfaConfiguration: 'ON', EnabledMfas: ['SOFTWARE_TOKEN_MFA'] });
    expect(pool()).not.toHaveProperty('SmsConfiguration');
    expect(pool().Policies).toMatchObject({
      PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, PasswordHistorySize: 5, TemporaryPasswordValidityDays: 3 },
    });
  });

  it('lets only administrators create users, each with an immutable custom:account, and is protected from deletion', () => {
    expect(pool()).toMatchObject({ AdminCreateUserConfig: { AllowAdminCreateUserOnly: true }, DeletionProtection: 'ACTIVE' });
    expect(pool().Schema).toEqual([{ Name: 'account', AttributeDataType: 'String', Mutable: false, StringAttributeConstraints: { MinLength: '1', MaxLength: '128' } }]);
    expect(resources('AWS::Cognito::UserPool')[id(issuer.userPool)]).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  it('has a group per role, named exactly as the role', () => {
    const groups = Object.values(resources('AWS::Cognito::UserPoolGroup')).map((g) => g.Properties);
    expect(groups.map((g) => g.GroupName).sort()).toEqual([...ROLES].sort());
    for (const group of groups) expect(group.UserPoolId).toEqual(ref(id(issuer.userPool)));
  });

  it('has the certrevoke resource server with the api scope', () => {
    expect(only('AWS::Cognito::UserPoolResourceServer').props).toMatchObject({
      UserPoolId: ref(id(issuer.userPool)),
      Identifier: 'certrevoke',
      Scopes: [{ ScopeName: 'api', ScopeDescription: expect.any(String) }],
    });
  });

  it('has a managed login domain', () => {
    expect(only('AWS::Cognito::UserPoolDomain').props).toMatchObject({ UserPoolId: ref(id(issuer.userPool)), Domain: { 'Fn::Join': ['', ['certrevoke-', { Ref: 'AWS::AccountId' }]] } });
  });
});

describe('the app client', () => {
  const client = () => only('AWS::Cognito::UserPoolClient').props;

  it('is public (no secret) and uses only the authorization code grant, on managed login with the user pool', () => {
    expect(client()).toMatchObject({
      UserPoolId: ref(id(issuer.userPool)),
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
    // No SRP, password or custom API flows: their tokens would carry no custom scope.
    expect(client().ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
  });

  it('may ask for openid, email and certrevoke/api, and not for the Cognito user-admin scope', () => {
    const scopes = client().AllowedOAuthScopes as unknown[];
    const resourceServerId = only('AWS::Cognito::UserPoolResourceServer').logicalId;
    expect(scopes).toEqual(['openid', 'email', { 'Fn::Join': ['', [ref(resourceServerId), '/api']] }]);
    expect(scopes).not.toContain('aws.cognito.signin.user.admin');
  });

  it("returns only to the console's origin", () => {
    expect(client()).toMatchObject({ CallbackURLs: [withPath(CONSOLE_CALLBACK_PATH)], LogoutURLs: [withPath(CONSOLE_SIGNED_OUT_PATH)] });
    other.template.hasResourceProperties('AWS::Cognito::UserPoolClient', { CallbackURLs: ['https://console.acme.test:8443/auth/callback'], LogoutURLs: ['https://console.acme.test:8443/'] });
  });
});

describe('the Pre Token Generation trigger', () => {
  const fnId = () => id(issuer.preTokenGeneration);

  it('is wired to the user pool with event version V2_0 (access token claims)', () => {
    expect(resources('AWS::Cognito::UserPool')[id(issuer.userPool)]!.Properties.LambdaConfig).toEqual({
      PreTokenGenerationConfig: { LambdaArn: arnOf(fnId()), LambdaVersion: 'V2_0' },
    });
  });

  it('may be invoked by this user pool only', () => {
    const permissions = Object.values(resources('AWS::Lambda::Permission')).filter(({ Properties }) => JSON.stringify(Properties.FunctionName) === JSON.stringify(arnOf(fnId())));
    expect(permissions.map((p) => p.Properties)).toEqual([
      { Action: 'lambda:InvokeFunction', FunctionName: arnOf(fnId()), Principal: 'cognito-idp.amazonaws.com', SourceArn: arnOf(id(issuer.userPool)) },
    ]);
  });

  it('is a ServiceFunction bundled from functions/pre-token-generation.ts, within Cognito 5 s', () => {
    expect(PRE_TOKEN_GENERATION_ENTRY).toBe('functions/pre-token-generation.ts');
    expect(api.issuerFunctions).toEqual([issuer.preTokenGeneration]);
    expect(resources('AWS::Lambda::Function')[fnId()]?.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Timeout: 5, TracingConfig: { Mode: 'Active' } });
  });

  it('touches nothing: its role may only write its own logs and traces', () => {
    const roleId = id(issuer.preTokenGeneration.role!);
    const policies = Object.values(resources('AWS::IAM::Policy')).filter(({ Properties }) => JSON.stringify(Properties.Roles).includes(JSON.stringify(ref(roleId))));
    const inline = (resources('AWS::IAM::Role')[roleId]!.Properties.Policies ?? []) as { PolicyDocument: { Statement: { Action: string | string[] }[] } }[];
    const actions = [...policies.map((p) => p.Properties as { PolicyDocument: { Statement: { Action: string | string[] }[] } }), ...inline].flatMap((p) => p.PolicyDocument.Statement.flatMap((s) => [s.Action].flat()));
    expect(new Set(actions)).toEqual(new Set(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
    expect(resources('AWS::IAM::Role')[roleId]!.Properties).not.toHaveProperty('ManagedPolicyArns');
  });
});

describe('throttling', () => {
  const stage = () => only('AWS::ApiGatewayV2::Stage');

  it('sets every route of ROUTES from the one table', () => {
    const settings = stage().props.RouteSettings as Record<string, unknown>;
    expect(Object.keys(settings).sort()).toEqual(ROUTE_NAMES.map(routeKey).sort());
    for (const name of ROUTE_NAMES) {
      expect(settings[routeKey(name)], name).toEqual({ ThrottlingRateLimit: ROUTE_THROTTLING[name].rate, ThrottlingBurstLimit: ROUTE_THROTTLING[name].burst });
    }
  });

  it('defaults to 50/s with bursts of 100, on the stage and for reads', () => {
    expect(DEFAULT_THROTTLING).toEqual({ rateLimit: 50, burstLimit: 100 });
    expect(stage().props.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    expect(ROUTE_THROTTLING.listCertificates).toEqual({ rate: 50, burst: 100 });
  });

  it('is tighter on POST /admin/* and on submissions', () => {
    const tighter = ROUTE_NAMES.filter((name) => ROUTES[name].method !== 'GET');
    expect(tighter.map(routeKey)).toEqual(expect.arrayContaining(['POST /admin/certificates', 'POST /admin/sweeps', 'POST /certificates/{id}/revocations', 'POST /certificates/{id}/reissues']));
    for (const name of tighter) {
      expect(ROUTE_THROTTLING[name].rate, name).toBeLessThan(DEFAULT_THROTTLING.rateLimit!);
      expect(ROUTE_THROTTLING[name].burst, name).toBeLessThan(DEFAULT_THROTTLING.burstLimit!);
    }
    expect(ROUTE_THROTTLING.runSweep).toEqual({ rate: 1, burst: 2 });
    expect(ROUTE_THROTTLING.registerCertificate).toEqual({ rate: 5, burst: 10 });
  });

  it('is deployed after the routes it names (CloudFormation cannot set a route it does not find)', () => {
    const dependsOn = resources('AWS::ApiGatewayV2::Stage')[stage().logicalId]!.DependsOn ?? [];
    for (const routeId of Object.keys(resources('AWS::ApiGatewayV2::Route'))) expect(dependsOn).toContain(routeId);
  });
});

describe('CORS', () => {
  const cors = (t: Template = template) => Object.values(t.findResources('AWS::ApiGatewayV2::Api'))[0]!.Properties.CorsConfiguration as Record<string, unknown>;

  it("allows exactly the console's origin, the methods of ROUTES and the headers the console sends, and exposes Location", () => {
    expect(cors()).toEqual({
      AllowOrigins: [hostedOrigin],
      AllowMethods: ['GET', 'POST', 'DELETE'],
      AllowHeaders: ['authorization', 'content-type', 'idempotency-key'],
      ExposeHeaders: ['location', 'content-disposition'],
      AllowCredentials: false,
      MaxAge: 3600,
    });
  });

  it('follows -c consoleOrigin', () => {
    expect(cors(other.template).AllowOrigins).toEqual(['https://console.acme.test:8443']);
  });
});

describe('an external issuer (-c jwtIssuer, -c jwtAudience, -c jwtScopes)', () => {
  const external = synth({ jwtIssuer: 'https://login.example.com/', jwtAudience: 'web, cli', jwtScopes: 'certrevoke.read, certrevoke.write' });

  it('is trusted instead of a user pool: no Cognito resources, no trigger', () => {
    for (const type of ['AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient', 'AWS::Cognito::UserPoolGroup', 'AWS::Cognito::UserPoolResourceServer', 'AWS::Cognito::UserPoolDomain']) {
      external.template.resourceCountIs(type, 0);
    }
    expect(external.api.issuerFunctions).toEqual([]);
    external.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['web', 'cli'] } });
  });

  it('requires its scopes on every authorized route and none on public ones', () => {
    for (const name of AUTHORIZED) {
      expect(external.routes().find((r) => r.RouteKey === routeKey(name))?.AuthorizationScopes, name).toEqual(['certrevoke.read', 'certrevoke.write']);
    }
    for (const name of PUBLIC) expect(external.routes().find((r) => r.RouteKey === routeKey(name)), name).not.toHaveProperty('AuthorizationScopes');
  });

  it('is refused without -c jwtScopes, or with an empty one, saying why', () => {
    expect(() => synth({ jwtIssuer: 'https://login.example.com/', jwtAudience: 'web' })).toThrow(/-c jwtIssuer needs -c jwtScopes=.*ID tokens/);
    expect(() => synth({ jwtIssuer: 'https://login.example.com/', jwtAudience: 'web', jwtScopes: ' , ' })).toThrow(/jwtScopes/);
  });

  it('is refused when only the scopes are given', () => {
    expect(() => synth({ jwtScopes: 'certrevoke.read' })).toThrow(/-c jwtIssuer=https:\/\/… and -c jwtAudience/);
  });
});
