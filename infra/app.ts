import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Api } from './api.js';
import type { JwtIssuer } from './constructs/cognito-issuer.js';
import { RevocationWorkflow } from './constructs/revocation-workflow.js';
import { Stateful } from './stateful.js';

/**
 * The CDK app: one environment-agnostic stack, so `cdk synth` needs no account or credentials.
 *
 * One stack rather than a stateful and a stateless one: the CA secret's key grants go through
 * Secrets Manager (kms:ViaService), which CDK writes into the key's policy, so a key in one
 * stack and roles in another form a dependency cycle. The stateful resources are retained on
 * delete and the table is deletion-protected, which is what a separate stack would protect.
 *
 * Token issuer, from context:
 *   -c jwtIssuer=https://issuer.example -c jwtAudience=client-a,client-b
 * Without them, the stack creates a Cognito user pool and app client and trusts those.
 */
export function buildApp(app: App): { stack: Stack; stateful: Stateful; revocation: RevocationWorkflow; api: Api } {
  const stack = new Stack(app, 'Certrevoke', { description: 'certrevoke: certificate lifecycle API' });
  const stateful = new Stateful(stack, 'Stateful');
  const revocation = new RevocationWorkflow(stack, 'RevocationWorkflow', { table: stateful.table, caSecret: stateful.caSecret });
  const api = new Api(stack, 'Api', {
    table: stateful.table,
    caSecret: stateful.caSecret,
    revocationStateMachine: revocation.stateMachine,
    jwt: jwtIssuerFromContext(app),
  });
  return { stack, stateful, revocation, api };
}

function jwtIssuerFromContext(app: App): JwtIssuer | undefined {
  const issuer: unknown = app.node.tryGetContext('jwtIssuer');
  const audience: unknown = app.node.tryGetContext('jwtAudience');
  if (issuer === undefined && audience === undefined) return undefined;
  if (typeof issuer !== 'string' || !issuer.startsWith('https://') || typeof audience !== 'string' || audience.trim() === '') {
    throw new Error('Give both -c jwtIssuer=https://… and -c jwtAudience=<id>[,<id>…], or neither for a Cognito user pool.');
  }
  return { issuer, audience: audience.split(',').map((a) => a.trim()).filter(Boolean) };
}

// Build only when run as the app (`cdk synth`, which then synthesizes on exit), not when a
// test imports buildApp.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  buildApp(new App());
}
