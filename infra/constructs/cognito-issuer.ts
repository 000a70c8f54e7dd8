import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccountRecovery, UserPool, type UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** Who signs the tokens the HTTP API accepts. */
export interface JwtIssuer {
  /** The `iss` claim, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc`. */
  issuer: string;
  /** Accepted `aud` (or, for access tokens, `client_id`) values. */
  audience: string[];
}

/**
 * The default issuer when the app is given none: a Cognito user pool with no self sign-up and
 * one public app client. Its issuer and audience are what the JWT authorizer checks.
 */
export class CognitoIssuer extends Construct implements JwtIssuer {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly issuer: string;
  readonly audience: string[];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.client = this.userPool.addClient('ApiClient', {
      authFlows: { userSrp: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
    });
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
    this.audience = [this.client.userPoolClientId];
  }
}
