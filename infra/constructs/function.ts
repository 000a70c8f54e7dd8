import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { ViaServicePrincipal } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ENV } from '../../lib/config.js';

/** The repository root: entries and the lock file are resolved from here, whatever the cwd. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * esbuild turns a bundled CommonJS dependency's `require('node:…')` into a call that throws in
 * an ES module unless a `require` exists; this gives the bundle one.
 */
const REQUIRE_SHIM = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export type TableAccess = 'read' | 'readWrite';
/** `readWrite` also lets the function store the CA material on first use (PutSecretValue). */
export type SecretAccess = 'read' | 'readWrite';
/** `start` starts executions; nothing else on the state machine (no stop, describe or list). */
export type StateMachineAccess = 'start';

/** `get-ca-certificate` → `GetCaCertificate`, for construct ids. */
export function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, _dash: string, letter: string) => letter.toUpperCase());
}

export interface ServiceFunctionProps {
  /** The entry file relative to the repository root, e.g. `functions/health.ts`. */
  entry: string;
  description?: string;
  /** @default 10 seconds */
  timeout?: Duration;
  /** @default one month */
  logRetention?: RetentionDays;
}

/**
 * Every Lambda of the service: Node 22 on arm64, X-Ray tracing, its own log group with a
 * retention, and an ESM bundle built by the local esbuild that includes (and tree-shakes) the
 * AWS SDK v3 rather than relying on the runtime's copy.
 *
 * Access to resources goes only through the `bind…` methods, which grant AND set the
 * environment variable that lib/config.ts reads, so a grant and its variable never drift.
 */
export class ServiceFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id, {
      entry: resolve(PROJECT_ROOT, props.entry),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: resolve(PROJECT_ROOT, 'package-lock.json'),
      handler: 'handler',
      description: props.description ?? props.entry,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      // A log group of our own instead of the deprecated `logRetention` custom resource.
      logGroup: new LogGroup(scope, `${id}Logs`, { retention: props.logRetention ?? RetentionDays.ONE_MONTH }),
      environment: { NODE_OPTIONS: '--enable-source-maps' },
      awsSdkConnectionReuse: false,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: REQUIRE_SHIM,
        externalModules: [],
      },
    });
  }

  /** Grants data access to the table (and its key) and sets TABLE_NAME. */
  bindTable(table: ITable, access: TableAccess): void {
    if (access === 'readWrite') table.grantReadWriteData(this);
    else table.grantReadData(this);
    this.addEnvironment(ENV.tableName, table.tableName);
  }

  /**
   * Grants read access to the CA secret (and decrypt through Secrets Manager on its key) and
   * sets CA_SECRET_ID. `readWrite` adds PutSecretValue and GenerateDataKey only: the CA writes
   * its material once (SecretsManagerCaKeyStore.saveIfAbsent) and never needs UpdateSecret,
   * which `grantWrite` would add and which could repoint the secret's key.
   */
  bindCaSecret(secret: ISecret, access: SecretAccess): void {
    secret.grantRead(this);
    if (access === 'readWrite') {
      this.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [secret.secretArn] }));
      secret.encryptionKey?.grant(
        new ViaServicePrincipal(`secretsmanager.${Stack.of(this).region}.amazonaws.com`, this.grantPrincipal),
        'kms:GenerateDataKey',
      );
    }
    this.addEnvironment(ENV.caSecretId, secret.secretArn);
  }

  /**
   * Grants StartExecution on the revocation workflow's state machine (that ARN only) and sets
   * REVOCATION_STATE_MACHINE_ARN, the variable lib/config.ts readWorkflowConfig reads. It is the
   * only workflow a function starts; a second one would take its variable name here.
   */
  bindStateMachine(stateMachine: IStateMachine, access: StateMachineAccess): void {
    if (access === 'start') stateMachine.grantStartExecution(this);
    this.addEnvironment(ENV.revocationStateMachineArn, stateMachine.stateMachineArn);
  }

  /**
   * Lets the function complete, fail or heartbeat a task waiting for a callback, by its token.
   * These actions take no resource-level permissions (the Service Authorization Reference lists
   * no resource type for them), so the resource is `*`: the token itself is the capability.
   * Sets no variable: the client is the one bindStateMachine configures.
   */
  bindTaskCallbacks(): void {
    this.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resources: ['*'],
      }),
    );
  }
}
