import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PROJECT_ROOT, pascalCase, ServiceFunction, type SecretAccess, type TableAccess } from './function.js';
import { acknowledge, wildcardResourceFinding } from './nag.js';
import { assertSubstitutionsMatch } from './workflow-definition.js';

/** A workflow file and the task function behind each of its `${…}` names (infra/workflows). */
export interface WorkflowFile {
  file: string;
  tasks: Readonly<Record<string, string>>;
}

/** The task functions of a workflow (functions/<name>.ts). */
export type TaskName<W extends WorkflowFile> = W['tasks'][keyof W['tasks']];

/** What a task function may touch and how long it may run (at most its state's TimeoutSeconds). */
export interface TaskSpec {
  timeout: Duration;
  table: TableAccess;
  caSecret?: SecretAccess;
  /** Completes the task's own token when there is nothing to wait for (see bindTaskCallbacks). */
  taskCallbacks?: true;
}

export interface TaskWorkflowProps<W extends WorkflowFile> {
  workflow: W;
  tasks: Record<TaskName<W>, TaskSpec>;
  comment: string;
  table: ITable;
  caSecret: ISecret;
}

/** A definition's path relative to the repository root, as tests and messages name it. */
export function definitionPath(workflow: WorkflowFile): string {
  return relative(PROJECT_ROOT, workflow.file).split('\\').join('/');
}

/**
 * A Standard state machine loaded from its ASL file — the file the local runtime runs too —
 * with each `${…}` placeholder substituted by the ARN of its task function, and those functions.
 *
 * Its role may invoke exactly these functions: from a file definition the L2 cannot infer what
 * the states call. Every execution event (level ALL) is logged, without execution data: the
 * `.waitForTaskToken` states pass `$$.Task.Token` in their parameters, and task tokens never
 * leave the service, so neither they nor request inputs reach CloudWatch. X-Ray traces every
 * execution.
 */
export class TaskWorkflow<W extends WorkflowFile> extends Construct {
  readonly stateMachine: StateMachine;
  readonly functions: ReadonlyMap<TaskName<W>, ServiceFunction>;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: TaskWorkflowProps<W>) {
    super(scope, id);
    const functions = new Map<TaskName<W>, ServiceFunction>();
    const definitionSubstitutions: Record<string, string> = {};
    for (const [substitution, name] of Object.entries(props.workflow.tasks) as [string, TaskName<W>][]) {
      const spec = props.tasks[name];
      const fn = new ServiceFunction(this, pascalCase(name), { entry: `functions/${name}.ts`, timeout: spec.timeout });
      fn.bindTable(props.table, spec.table);
      if (spec.caSecret) fn.bindCaSecret(props.caSecret, spec.caSecret);
      if (spec.taskCallbacks) fn.bindTaskCallbacks();
      functions.set(name, fn);
      definitionSubstitutions[substitution] = fn.functionArn;
    }
    this.functions = functions;

    assertSubstitutionsMatch(definitionPath(props.workflow), readFileSync(props.workflow.file, 'utf8'), Object.keys(definitionSubstitutions));

    this.logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      comment: props.comment,
      definitionBody: DefinitionBody.fromFile(props.workflow.file),
      definitionSubstitutions,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    const role = this.stateMachine.role;
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'What CDK grants for tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and for logging (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups: CloudWatch Logs vended delivery) supports no resource-level permissions, so "*" is the only resource.',
    );
    for (const fn of functions.values()) {
      fn.grantInvoke(this.stateMachine);
      acknowledge(
        role,
        wildcardResourceFinding(this, `${fn.functionArn}:*`),
        `Versions and aliases of the task's own function ${fn.node.id} (grantInvoke's form); no other function.`,
      );
    }
  }
}
