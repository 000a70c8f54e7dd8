import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolRiskConfigurationAttachment,
  FeaturePlan,
  LambdaVersion,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  UserPoolClientIdentityProvider,
  UserPoolOperation,
  type UserPoolClient,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES } from '../../lib/app/model.js';
import { ACCOUNT_ATTRIBUTE } from '../../lib/http/token-claims.js';
import { ServiceFunction } from './function.js';

/** Who signs the tokens the HTTP API accepts. */
export interface JwtIssuer {
  /** The `iss` claim, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc`. */
  issuer: string;
  /** Accepted `aud` (or, for access tokens, `client_id`) values. */
  audience: string[];
  /**
   * OAuth scopes every authorized route requires (a token needs all of them in its `scope`
   * claim). Never empty: an ID token carries no `scope`, so requiring one keeps ID tokens from
   * passing as access tokens.
   */
  scopes: string[];
}

/** The user pool's resource server (the API) and the one scope the console asks for. */
export const API_RESOURCE_SERVER = 'certrevoke';
export const API_SCOPE_NAME = 'api';
export const API_SCOPE = `${API_RESOURCE_SERVER}/${API_SCOPE_NAME}`;
/** Where managed login sends the console back, on the console's own origin. */
export const CONSOLE_CALLBACK_PATH = '/auth/callback';
export const CONSOLE_SIGNED_OUT_PATH = '/';
export const PRE_TOKEN_GENERATION_ENTRY = 'functions/pre-token-generation.ts';

export interface CognitoIssuerProps {
  /** The console's origin (https, no path): its callback and sign-out URLs live there. */
  consoleOrigin: string;
}

/**
 * The default issuer when the app is given none: a Cognito user pool for the console's users.
 *
 * - Users are created by an administrator (no self sign-up), each with an immutable
 *   `custom:account` (their tenant: moving a user is a new user, so a `sub` always belongs to one
 *   account) and in the groups `customer`, `reviewer` and/or `operator`.
 * - Sign-in is managed login with the authorization code grant and PKCE on one public app client
 *   (no secret: a browser cannot keep one). The client asks for `certrevoke/api`, the scope
 *   every authorized route requires, with `openid` and `email` for the console's ID token. It
 *   is not given `aws.cognito.signin.user.admin`, so its tokens cannot call Cognito's user APIs.
 *   No SRP or password API flows: tokens from those carry no custom scope and would only be
 *   refused by the API.
 * - A Pre Token Generation trigger (V2_0) writes the `account` and `roles` claims into the
 *   access token (lib/http/token-claims.ts).
 * - Feature plan PLUS: V2_0 (access token customization) needs ESSENTIALS at least; PLUS adds
 *   threat protection, enforced here (compromised credentials blocked, high-risk sign-ins
 *   blocked). These tokens revoke certificates and download private keys, and the console's
 *   users are a few per customer, so the per-user price difference is small against that.
 * - MFA is required, TOTP only (enrolled at the first sign-in): SMS can be SIM-swapped and
 *   would need an SNS role and spending limits; email codes need an SES identity.
 */
export class CognitoIssuer extends Construct implements JwtIssuer {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly domain: UserPoolDomain;
  readonly preTokenGeneration: ServiceFunction;
  readonly issuer: string;
  readonly audience: string[];
  readonly scopes: string[];

  constructor(scope: Construct, id: string, props: CognitoIssuerProps) {
    super(scope, id);
    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      customAttributes: {
        // `custom:account`; immutable: only AdminCreateUser sets it.
        [ACCOUNT_ATTRIBUTE.replace(/^custom:/, '')]: new StringAttribute({ minLen: 1, maxLen: 128, mutable: false }),
      },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        passwordHistorySize: 5,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // What enforced threat protection does. Nobody is emailed (that would need an SES identity);
    // a blocked sign-in shows in the user pool's event history.
    new CfnUserPoolRiskConfigurationAttachment(this, 'ThreatProtection', {
      userPoolId: this.userPool.userPoolId,
      clientId: 'ALL',
      compromisedCredentialsRiskConfiguration: { actions: { eventAction: 'BLOCK' } },
      accountTakeoverRiskConfiguration: {
        actions: {
          highAction: { eventAction: 'BLOCK', notify: false },
          mediumAction: { eventAction: 'MFA_REQUIRED', notify: false },
          lowAction: { eventAction: 'NO_ACTION', notify: false },
        },
      },
    });

    // One group per role; lib/http/token-claims.ts turns membership into the `roles` claim.
    for (const role of ROLES) {
      this.userPool.addGroup(`${role[0]!.toUpperCase()}${role.slice(1)}Group`, { groupName: role, description: `certrevoke ${role}s` });
    }

    this.preTokenGeneration = new ServiceFunction(this, 'PreTokenGeneration', {
      entry: PRE_TOKEN_GENERATION_ENTRY,
      description: `${PRE_TOKEN_GENERATION_ENTRY}: the account and roles claims of access tokens`,
      // Cognito waits 5 s for a trigger, then fails the sign-in.
      timeout: Duration.seconds(5),
    });
    this.userPool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, this.preTokenGeneration, LambdaVersion.V2_0);

    const callApi = new ResourceServerScope({ scopeName: API_SCOPE_NAME, scopeDescription: 'Call the certrevoke API as the signed-in user' });
    const resourceServer = this.userPool.addResourceServer('Api', { identifier: API_RESOURCE_SERVER, userPoolResourceServerName: 'certrevoke API', scopes: [callApi] });
    const apiScope = OAuthScope.resourceServer(resourceServer, callApi);

    this.client = this.userPool.addClient('ApiClient', {
      generateSecret: false,
      // Every API flow off: only managed login's authorization code grant (and its refresh).
      authFlows: { user: false, userSrp: false, userPassword: false, adminUserPassword: false, custom: false },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, apiScope],
        callbackUrls: [`${props.consoleOrigin}${CONSOLE_CALLBACK_PATH}`],
        logoutUrls: [`${props.consoleOrigin}${CONSOLE_SIGNED_OUT_PATH}`],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
    // Managed login's endpoints (/oauth2/authorize, /oauth2/token, /logout), on a Cognito prefix
    // domain unique to the account (one stack per account and region).
    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: `certrevoke-${Aws.ACCOUNT_ID}` } });

    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
    this.audience = [this.client.userPoolClientId];
    // The literal scope: the routes need no reference to the resource server (the client has one).
    this.scopes = [API_SCOPE];
  }
}
