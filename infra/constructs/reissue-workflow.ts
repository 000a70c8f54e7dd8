import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { REISSUE_WORKFLOW } from '../workflows/index.js';
import { PROJECT_ROOT, pascalCase, ServiceFunction, type SecretAccess, type TableAccess } from './function.js';
import { assertSubstitutionsMatch } from './workflow-definition.js';

/** The workflow's definition, relative to the repository root; the local runtime loads the same file (REISSUE_WORKFLOW.file). */
export const REISSUE_DEFINITION = relative(PROJECT_ROOT, REISSUE_WORKFLOW.file).split('\\').join('/');

/** A task function of the workflow, as REISSUE_WORKFLOW names it (functions/<name>.ts). */
export type ReissueTask = (typeof REISSUE_WORKFLOW.tasks)[keyof typeof REISSUE_WORKFLOW.tasks];

interface TaskSpec {
  timeout: Duration;
  table: TableAccess;
  caSecret?: SecretAccess;
  /** Completes the task's own token when there is nothing to wait for (see bindTaskCallbacks). */
  taskCallbacks?: true;
}

/**
 * What each task function may touch. Where each goes in the definition (its `${…}` name) is
 * REISSUE_WORKFLOW's, shared with the local runtime. Timeouts follow the tasks: check-validation
 * runs DNS and HTTP probes, issue signs with the CA; each is at most its state's TimeoutSeconds.
 * No task touches the key vault: the key is generated and sealed when the request is submitted.
 */
const TASKS = {
  'reissue-check-validation': { timeout: Duration.seconds(30), table: 'readWrite' },
  // Queues the request for review with its token; completes the token itself when the review is already decided.
  'reissue-await-review': { timeout: Duration.seconds(10), table: 'readWrite', taskCallbacks: true },
  'reissue-issue': { timeout: Duration.seconds(60), table: 'readWrite', caSecret: 'readWrite' },
  'reissue-fail': { timeout: Duration.seconds(10), table: 'readWrite' },
} as const satisfies Record<ReissueTask, TaskSpec>;

export interface ReissueWorkflowProps {
  table: ITable;
  caSecret: ISecret;
}

/**
 * The reissue workflow: a Standard state machine loaded from the ASL file, its `${…}`
 * placeholders substituted with the ARNs of its task functions, and those functions.
 *
 * Its role may invoke exactly these four functions: from a file definition the L2 cannot infer
 * what the states call. Logs carry errors only and no execution data, so task tokens and
 * request inputs stay out of CloudWatch.
 */
export class ReissueWorkflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: ReadonlyMap<ReissueTask, ServiceFunction>;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ReissueWorkflowProps) {
    super(scope, id);

    const functions = new Map<ReissueTask, ServiceFunction>();
    const definitionSubstitutions: Record<string, string> = {};
    for (const [substitution, name] of Object.entries(REISSUE_WORKFLOW.tasks) as [string, ReissueTask][]) {
      const spec: TaskSpec = TASKS[name];
      const fn = new ServiceFunction(this, pascalCase(name), { entry: `functions/${name}.ts`, timeout: spec.timeout });
      fn.bindTable(props.table, spec.table);
      if (spec.caSecret) fn.bindCaSecret(props.caSecret, spec.caSecret);
      if (spec.taskCallbacks) fn.bindTaskCallbacks();
      functions.set(name, fn);
      definitionSubstitutions[substitution] = fn.functionArn;
    }
    this.functions = functions;

    assertSubstitutionsMatch(REISSUE_DEFINITION, readFileSync(REISSUE_WORKFLOW.file, 'utf8'), Object.keys(definitionSubstitutions));

    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      comment: 'certrevoke: reissue of a certificate',
      definitionBody: DefinitionBody.fromFile(REISSUE_WORKFLOW.file),
      definitionSubstitutions,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ERROR, includeExecutionData: false },
    });
    for (const fn of functions.values()) fn.grantInvoke(this.stateMachine);
  }
}
