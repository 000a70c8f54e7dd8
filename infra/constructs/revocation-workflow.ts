import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PROJECT_ROOT, pascalCase, ServiceFunction, type SecretAccess, type TableAccess } from './function.js';
import { assertSubstitutionsMatch } from './workflow-definition.js';

/** The workflow's definition, relative to the repository root; the local runtime loads the same file. */
export const REVOCATION_DEFINITION = 'infra/workflows/revocation.asl.json';

interface TaskSpec {
  /** The `${…}` name in the definition that this function's ARN replaces. */
  substitution: string;
  timeout: Duration;
  table: TableAccess;
  caSecret?: SecretAccess;
  /** Completes the task's own token when there is nothing to wait for (see bindTaskCallbacks). */
  taskCallbacks?: true;
}

/**
 * The workflow's task functions (functions/<name>.ts), what each may touch, and where each
 * goes in the definition. Timeouts follow the tasks: check-validation runs DNS and HTTP
 * probes, revoke signs and stores the CRL.
 */
const TASKS = {
  // A letter accepted before the task stored its token: the task completes itself at once.
  'revocation-await-callback': { substitution: 'AwaitCallbackFunctionArn', timeout: Duration.seconds(10), table: 'readWrite', taskCallbacks: true },
  'revocation-check-validation': { substitution: 'CheckValidationFunctionArn', timeout: Duration.seconds(30), table: 'readWrite' },
  'revocation-revoke': { substitution: 'RevokeFunctionArn', timeout: Duration.seconds(60), table: 'readWrite', caSecret: 'readWrite' },
  'revocation-fail': { substitution: 'FailFunctionArn', timeout: Duration.seconds(10), table: 'readWrite' },
} as const satisfies Record<string, TaskSpec>;

export type RevocationTask = keyof typeof TASKS;

export interface RevocationWorkflowProps {
  table: ITable;
  caSecret: ISecret;
}

/**
 * The revocation workflow: a Standard state machine loaded from the ASL file, its `${…}`
 * placeholders substituted with the ARNs of its task functions, and those functions.
 *
 * Its role may invoke exactly these four functions: from a file definition the L2 cannot infer
 * what the states call. Logs carry errors only and no execution data, so task tokens and
 * request inputs stay out of CloudWatch.
 */
export class RevocationWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: ReadonlyMap<RevocationTask, ServiceFunction>;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: RevocationWorkflowProps) {
    super(scope, id);

    const functions = new Map<RevocationTask, ServiceFunction>();
    const definitionSubstitutions: Record<string, string> = {};
    for (const [name, spec] of Object.entries(TASKS) as [RevocationTask, TaskSpec][]) {
      const fn = new ServiceFunction(this, pascalCase(name), { entry: `functions/${name}.ts`, timeout: spec.timeout });
      fn.bindTable(props.table, spec.table);
      if (spec.caSecret) fn.bindCaSecret(props.caSecret, spec.caSecret);
      if (spec.taskCallbacks) fn.bindTaskCallbacks();
      functions.set(name, fn);
      definitionSubstitutions[spec.substitution] = fn.functionArn;
    }
    this.functions = functions;

    const definitionPath = resolve(PROJECT_ROOT, REVOCATION_DEFINITION);
    assertSubstitutionsMatch(REVOCATION_DEFINITION, readFileSync(definitionPath, 'utf8'), Object.keys(definitionSubstitutions));

    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      comment: 'certrevoke: revocation of a certificate',
      definitionBody: DefinitionBody.fromFile(definitionPath),
      definitionSubstitutions,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ERROR, includeExecutionData: false },
    });
    for (const fn of functions.values()) fn.grantInvoke(this.stateMachine);
  }
}
