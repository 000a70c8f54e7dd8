import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ViaServicePrincipal, type IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import { CA_PARTITION, TABLE_INDEXES } from '../../lib/adapters/table-schema.js';
import { ENV } from '../../lib/config.js';
import { SERVICE_NAME } from '../../lib/http/logger.js';
import { METRICS_NAMESPACE } from '../../lib/http/metrics.js';
import { acknowledge, wildcardResourceFinding } from './nag.js';

/** The repository root: entries and the lock file are resolved from here, whatever the cwd. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * esbuild turns a bundled CommonJS dependency's `require('node:…')` into a call that throws in
 * an ES module unless a `require` exists; this gives the bundle one.
 */
const REQUIRE_SHIM = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** `publication`: GetItem of the CA's partition only (the CA certificate and CRL, see CA_PARTITION). */
export type TableAccess = 'publication' | 'read' | 'readWrite';
/** `readWrite` also lets the function store the CA material when it creates the CA (PutSecretValue): CaPublisher only. */
export type SecretAccess = 'read' | 'readWrite';
/** `start` starts executions; nothing else on the state machine (no stop, describe or list). */
export type StateMachineAccess = 'start';
/** The workflows a function may start, each with its own variable. */
export type Workflow = 'revocation' | 'reissue';
const WORKFLOW_VARIABLES = { revocation: ENV.revocationStateMachineArn, reissue: ENV.reissueStateMachineArn } as const satisfies Record<Workflow, string>;
/** The key vault's key: `seal` wraps new data keys, `open` unwraps them. */
export type KeyVaultAccess = 'seal' | 'open';
/**
 * The letters intake bucket: `upload` signs presigned POSTs (the upload is authorised by the
 * signer's own PutObject); `process` reads, and deletes, what was uploaded; `renotify` (the
 * sweep) looks at an upload and copies it onto itself.
 */
export type IntakeAccess = 'upload' | 'process' | 'renotify';
/** The letters evidence bucket: `write` adds objects (never deletes them); `read` presigns GETs. */
export type EvidenceAccess = 'write' | 'read';

/**
 * Where letters live in their buckets (lib/app/letters.ts writes these keys). Every S3 grant is
 * on one of these prefixes, never on a whole bucket's objects.
 */
export const LETTER_PREFIXES = { upload: 'uploads/', evidence: 'evidence/' } as const;

/**
 * What a function may do with the table's items, granted on the table and each of its indexes by
 * name (bindTable). CDK's grantReadData / grantReadWriteData item actions, less Scan (every read
 * is a key lookup or an index query) and the stream reads (the table has no stream); not the
 * helpers themselves, which grant on `index/*` and wildcard KMS actions (ReEncrypt*,
 * GenerateDataKey*).
 */
const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'];
const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
/**
 * The table's key, only through DynamoDB: reading decrypts the table key; writers also hold
 * Encrypt and GenerateDataKey (exact actions, where CDK's helper grants ReEncrypt* and
 * GenerateDataKey*).
 */
const TABLE_KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const TABLE_KEY_WRITE_ACTIONS = ['kms:Encrypt', 'kms:GenerateDataKey'];

/** Why each ServiceFunction's role holds `Resource::*` (cdk-nag AwsSolutions-IAM5). */
const XRAY_REASON = 'X-Ray PutTraceSegments and PutTelemetryRecords (active tracing) support no resource-level permissions: the Service Authorization Reference lists no resource type for them, so "*" is the only resource.';
const TASK_CALLBACK_REASON =
  'states:SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat support no resource-level permissions (no resource type in the Service Authorization Reference): the task token itself is the capability, so "*" is the only resource.';

/**
 * What every function's environment holds before any `bind…` adds to it: Powertools held to what
 * lib/http/observability.ts relies on whatever the code's defaults become: INFO logs, no event in
 * the logs. Not `NODE_OPTIONS=--enable-source-maps`: Node then parses the bundle's map at every
 * cold start (12–14 ms of the letter processor's); the map ships beside the bundle and a logged
 * error's stack is mapped from it when it happens (lib/http/source-mapped-stack.ts).
 */
export const FUNCTION_ENVIRONMENT = {
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  POWERTOOLS_LOG_LEVEL: 'INFO',
  POWERTOOLS_LOGGER_LOG_EVENT: 'false',
} as const;

/** The runtime's platform, for packages with native binaries installed by `nodeModules`. */
const LAMBDA_NPM_PLATFORM = { npm_config_os: 'linux', npm_config_cpu: 'arm64', npm_config_libc: 'glibc' } as const;

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
  /** @default 512 */
  memorySize?: number;
  /**
   * Packages left out of the bundle and installed into the asset instead, by `npm ci` from the
   * lock file at synth, for linux-arm64 (glibc) whatever the machine: for packages with native
   * binaries (sharp). Needs the npm registry at synth time, never Docker.
   */
  nodeModules?: string[];
  /**
   * Worker-thread entries the function starts, each bundled on its own beside `index.mjs` (with
   * the function's esbuild options, after CDK's own build), so a worker loads only what it runs.
   */
  workers?: WorkerBundle[];
}

export interface WorkerBundle {
  /** Relative to the repository root, e.g. `lib/adapters/pdf-check.worker.ts`. */
  entry: string;
  /** The file beside `index.mjs` the function starts the worker from, e.g. `pdf-check.worker.mjs`. */
  bundle: string;
}

/**
 * Every Lambda of the service: Node 22 on arm64, X-Ray tracing, its own log group with a
 * retention, and an ESM bundle built by the local esbuild that includes (and tree-shakes) the
 * AWS SDK v3 rather than relying on the runtime's copy.
 *
 * Its role is its own, with no managed policy: instead of AWSLambdaBasicExecutionRole (logs on
 * every log group), it may create streams and put events in its own log group only, plus the
 * X-Ray actions CDK adds for tracing.
 *
 * Access to resources goes only through the `bind…` methods, which grant AND set the
 * environment variable that lib/config.ts reads, so a grant and its variable never drift.
 */
export class ServiceFunction extends NodejsFunction {
  /** What esbuild (and, for `nodeModules`, npm) was told: kept so tests can check it without bundling. */
  readonly bundlingOptions: BundlingOptions;
  /** Its entry, relative to the repository root (`functions/<name>.ts`). */
  readonly entry: string;
  readonly workers: readonly WorkerBundle[];

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    assertLocalEsbuild();
    const bundling = bundlingOptions(props);
    // A log group of our own instead of the deprecated `logRetention` custom resource; it exists
    // before the function, so the role needs no logs:CreateLogGroup.
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `certrevoke ${props.entry}`,
    });
    role.addToPolicy(new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    super(scope, id, {
      entry: resolve(PROJECT_ROOT, props.entry),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: resolve(PROJECT_ROOT, 'package-lock.json'),
      handler: 'handler',
      description: props.description ?? props.entry,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      environment: { ...FUNCTION_ENVIRONMENT },
      awsSdkConnectionReuse: false,
      bundling,
    });
    this.bundlingOptions = bundling;
    this.entry = props.entry;
    this.workers = props.workers ?? [];
    acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', XRAY_REASON);
    acknowledge(
      this,
      'AwsSolutions-L1',
      'nodejs22.x is pinned on purpose (issue 7 fixes nodejs22.x): the bundle is built for it (esbuild target node22); a newer runtime is adopted as a deliberate upgrade, not by following the latest release.',
    );
  }

  /**
   * Grants data access to the table and each of its indexes by ARN (the indexes of
   * table-schema.ts, which Stateful builds the table from), and use of its key through DynamoDB
   * only, and sets TABLE_NAME. Exact actions and resources, no wildcard: see TABLE_READ_ACTIONS.
   * `publication` is one GetItem on the table, held to the CA's partition by its partition key.
   */
  bindTable(table: ITable, access: TableAccess): void {
    const write = access === 'readWrite';
    this.addToRolePolicy(
      access === 'publication'
        ? new PolicyStatement({
            actions: ['dynamodb:GetItem'],
            resources: [table.tableArn],
            conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CA_PARTITION] } },
          })
        : new PolicyStatement({
            actions: [...TABLE_READ_ACTIONS, ...(write ? TABLE_WRITE_ACTIONS : [])],
            resources: [table.tableArn, ...Object.values(TABLE_INDEXES).map((index) => `${table.tableArn}/index/${index.name}`)],
          }),
    );
    if (table.encryptionKey) {
      this.addToRolePolicy(
        new PolicyStatement({
          actions: [...TABLE_KEY_READ_ACTIONS, ...(write ? TABLE_KEY_WRITE_ACTIONS : [])],
          resources: [table.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
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
   * Grants StartExecution on one workflow's state machine (that ARN only) and sets the variable
   * lib/config.ts readWorkflowConfig reads for it: REVOCATION_STATE_MACHINE_ARN or
   * REISSUE_STATE_MACHINE_ARN.
   */
  bindStateMachine(workflow: Workflow, stateMachine: IStateMachine, access: StateMachineAccess): void {
    if (access === 'start') stateMachine.grantStartExecution(this);
    this.addEnvironment(WORKFLOW_VARIABLES[workflow], stateMachine.stateMachineArn);
  }

  /**
   * Grants one use of the key vault's KMS key (that key only, called directly rather than
   * through another service) and sets KEY_VAULT_KEY_ID, which lib/config.ts readKeyVaultConfig
   * reads for KmsKeyVault:
   * - `seal`: kms:GenerateDataKey, for a fresh data key per sealed private key;
   * - `open`: kms:Decrypt, to unwrap it.
   * Either only with an encryption context (KmsKeyVault always binds the record's), so the key
   * cannot be used for context-free data keys.
   */
  bindKeyVault(key: IKey, access: KeyVaultAccess): void {
    this.addToRolePolicy(
      new PolicyStatement({
        actions: [access === 'seal' ? 'kms:GenerateDataKey' : 'kms:Decrypt'],
        resources: [key.keyArn],
        conditions: { Null: { 'kms:EncryptionContextKeys': 'false' } },
      }),
    );
    this.addEnvironment(ENV.keyVaultKeyId, key.keyArn);
  }

  /**
   * Grants what the function does with letter uploads, on `uploads/*` only, and sets
   * INTAKE_BUCKET. Both kinds use the bucket's key only through S3 (kms:ViaService).
   * - `upload`: s3:PutObject and kms:GenerateDataKey, which is what a presigned POST signed by
   *   this function may then do; no read, list or delete.
   * - `process`: s3:GetObject (also HeadObject) and s3:DeleteObject, kms:Decrypt, and
   *   s3:ListBucket on the bucket: without it S3 answers 403 rather than 404 for an upload that is
   *   already gone, and a repeated event would fail until it is dead-lettered.
   * - `renotify` (the sweep): HeadObject (s3:GetObject) to look under an expired slot, and
   *   CopyObject onto itself (s3:GetObject of the source, s3:PutObject of the copy, kms:Decrypt
   *   and kms:GenerateDataKey), so S3 reports the upload again; no delete. Also s3:ListBucket on
   *   the bucket, for the same reason as `process`: an empty slot, the usual case, must be a 404
   *   (closed by the sweep), not a 403 that fails the sweep of that request on every run.
   */
  bindIntake(bucket: IBucket, access: IntakeAccess): void {
    const uploads = bucket.arnForObjects(`${LETTER_PREFIXES.upload}*`);
    acknowledge(this.role!, wildcardResourceFinding(this, uploads), `Objects under the function's own prefix, ${LETTER_PREFIXES.upload} of the intake bucket: every upload has its own key there, so the prefix is the narrowest resource.`);
    if (access === 'upload') {
      this.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [uploads] }));
      this.grantKeyThroughS3(bucket, 'kms:GenerateDataKey');
    } else if (access === 'renotify') {
      // Looks for an upload under an expired slot and copies it onto itself, so S3 reports it again.
      this.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [uploads] }));
      this.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
      this.grantKeyThroughS3(bucket, 'kms:Decrypt');
      this.grantKeyThroughS3(bucket, 'kms:GenerateDataKey');
    } else {
      this.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:DeleteObject'], resources: [uploads] }));
      this.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
      this.grantKeyThroughS3(bucket, 'kms:Decrypt');
    }
    this.addEnvironment(ENV.intakeBucket, bucket.bucketName);
  }

  /**
   * Grants what the function does with letter evidence, on `evidence/*` only, and sets
   * EVIDENCE_BUCKET. Evidence is write-once: no function may delete or overwrite it (Object Lock
   * keeps versions; PutObject carries If-None-Match), bypass its retention, or change it.
   * - `write`: s3:PutObject and kms:GenerateDataKey.
   * - `read`: s3:GetObject and kms:Decrypt, which presigned GETs signed by this function use.
   */
  bindEvidence(bucket: IBucket, access: EvidenceAccess): void {
    const evidence = bucket.arnForObjects(`${LETTER_PREFIXES.evidence}*`);
    acknowledge(this.role!, wildcardResourceFinding(this, evidence), `Objects under the function's own prefix, ${LETTER_PREFIXES.evidence} of the evidence bucket: every accepted letter has its own key there, so the prefix is the narrowest resource.`);
    if (access === 'write') {
      this.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [evidence] }));
      this.grantKeyThroughS3(bucket, 'kms:GenerateDataKey');
    } else {
      this.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [evidence] }));
      this.grantKeyThroughS3(bucket, 'kms:Decrypt');
    }
    this.addEnvironment(ENV.evidenceBucket, bucket.bucketName);
  }

  private grantKeyThroughS3(bucket: IBucket, action: 'kms:Decrypt' | 'kms:GenerateDataKey'): void {
    const key: IKey | undefined = bucket.encryptionKey;
    if (!key) throw new Error(`${bucket.node.path}: letter buckets are encrypted with a customer-managed key`);
    key.grant(new ViaServicePrincipal(`s3.${Stack.of(this).region}.amazonaws.com`, this.grantPrincipal), action);
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
    acknowledge(this.role!, 'AwsSolutions-IAM5[Resource::*]', TASK_CALLBACK_REASON);
  }
}

/** pdf-lib's standard-font metrics, and the names-only stand-in the bundles get (lib/lambda/no-standard-fonts.ts). */
export const STANDARD_FONTS_PACKAGE = '@pdf-lib/standard-fonts';
export const LAMBDA_STANDARD_FONTS = 'lib/lambda/no-standard-fonts.ts';

/**
 * One ESM file built by the local esbuild, minified with source maps, with a `require` for
 * bundled CommonJS. Nothing is external but `nodeModules` (CDK adds those to esbuild's externals
 * itself), which npm installs beside the bundle for the Lambda platform. Each of `workers` is
 * built after, with the same options, beside the bundle.
 */
function bundlingOptions(props: ServiceFunctionProps): BundlingOptions {
  const options: BundlingOptions = {
    format: OutputFormat.ESM,
    target: 'node22',
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: REQUIRE_SHIM,
    externalModules: [],
    esbuildArgs: {
      [`--alias:${STANDARD_FONTS_PACKAGE}`]: resolve(PROJECT_ROOT, LAMBDA_STANDARD_FONTS),
    },
    ...(props.nodeModules?.length
      ? {
          nodeModules: props.nodeModules,
          // npm (≥ 10) installs the optional binaries of this platform rather than the host's.
          environment: { ...LAMBDA_NPM_PLATFORM },
        }
      : {}),
  };
  return props.workers?.length ? { ...options, commandHooks: workerHooks(options, props.workers) } : options;
}

/**
 * CDK's BundlingOptions as the esbuild call NodejsFunction makes of them, for one entry written
 * to `outfile`: what the worker hooks build, and what bench/bundles.ts measures.
 */
export function esbuildOptionsOf(b: BundlingOptions, entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [resolve(PROJECT_ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: b.format === 'esm' ? 'esm' : 'cjs',
    target: b.target ?? 'node22',
    minify: b.minify ?? false,
    sourcemap: b.sourceMap ? 'external' : false,
    sourcesContent: b.sourcesContent ?? true,
    ...(b.mainFields ? { mainFields: b.mainFields } : {}),
    ...(b.banner ? { banner: { js: b.banner } } : {}),
    external: [...(b.externalModules ?? []), ...(b.nodeModules ?? [])],
    alias: aliasesOf(b.esbuildArgs ?? {}),
    outfile,
    logLevel: 'warning',
  };
}

/** The `--alias:from=to` esbuild arguments CDK passes through, as esbuild's `alias` option. */
function aliasesOf(args: Record<string, string | boolean | string[]>): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const [flag, value] of Object.entries(args)) if (flag.startsWith('--alias:') && typeof value === 'string') aliases[flag.slice('--alias:'.length)] = value;
  return aliases;
}

/** Runs esbuild's API on options handed over in base64 (no shell quoting of banners or paths). */
const BUILD_WORKER_SCRIPT = resolve(PROJECT_ROOT, 'infra/build-worker.mjs');

/** An afterBundling hook per worker: each built with the function's own esbuild options. */
function workerHooks(options: BundlingOptions, workers: WorkerBundle[]): NonNullable<BundlingOptions['commandHooks']> {
  const shell = (arg: string) => `'${arg.replace(/'/g, "'\\''")}'`;
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) =>
      workers.map((worker) => {
        const build = esbuildOptionsOf(options, worker.entry, join(outputDir, worker.bundle));
        return [process.execPath, BUILD_WORKER_SCRIPT, Buffer.from(JSON.stringify(build)).toString('base64url')].map(shell).join(' ');
      }),
  };
}

/**
 * NodejsFunction falls back to bundling in Docker when it finds no local esbuild; this project
 * never bundles in Docker, so a missing esbuild (a devDependency) fails synth instead.
 *
 * CDK runs a project's own esbuild as `npx --no-install esbuild`, which starts npm (about 0.6 s)
 * once per function: some 20 s of a synth of this app. Its bundler instead spawns `esbuild` from
 * the PATH when it believes esbuild is installed globally; this puts the project's binary first
 * on the synth process's PATH and tells the bundler so, once. The flag lives on CDK's internal
 * Bundling class: should an upgrade move it, bundling goes on through npx, only slower.
 */
function assertLocalEsbuild(): void {
  if (!existsSync(resolve(PROJECT_ROOT, 'node_modules/esbuild/package.json'))) {
    throw new Error('esbuild is not installed (npm ci): functions are bundled by the local esbuild, never in Docker.');
  }
  if (esbuildFromPath) return;
  esbuildFromPath = true;
  const bin = resolve(PROJECT_ROOT, 'node_modules/.bin');
  const bundling = (createRequire(import.meta.url)(resolve(PROJECT_ROOT, 'node_modules/aws-cdk-lib/aws-lambda-nodejs/lib/bundling.js')) as { Bundling?: { esbuildInstallation?: unknown } }).Bundling;
  if (!bundling || !existsSync(resolve(bin, 'esbuild'))) return;
  process.env.PATH = `${bin}${delimiter}${process.env.PATH ?? ''}`;
  const version = (JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'node_modules/esbuild/package.json'), 'utf8')) as { version: string }).version;
  bundling.esbuildInstallation = { isWorkspacePackage: false, version };
}
let esbuildFromPath = false;
