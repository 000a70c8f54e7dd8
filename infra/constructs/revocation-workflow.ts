import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { REVOCATION_WORKFLOW } from '../workflows/index.js';
import { definitionPath, TaskWorkflow, type TaskName, type TaskSpec } from './task-workflow.js';

/** The workflow's definition, relative to the repository root; the local runtime loads the same file. */
export const REVOCATION_DEFINITION = definitionPath(REVOCATION_WORKFLOW);

export type RevocationTask = TaskName<typeof REVOCATION_WORKFLOW>;

/**
 * What each task function may touch. Timeouts follow the tasks: check-validation runs DNS and
 * HTTP probes, revoke signs and stores the CRL.
 */
const TASKS: Record<RevocationTask, TaskSpec> = {
  // A letter accepted before the task stored its token: the task completes itself at once.
  'revocation-await-callback': { timeout: Duration.seconds(10), table: 'readWrite', taskCallbacks: true },
  'revocation-check-validation': { timeout: Duration.seconds(30), table: 'readWrite' },
  'revocation-revoke': { timeout: Duration.seconds(60), table: 'readWrite', caSecret: 'read' },
  'revocation-fail': { timeout: Duration.seconds(10), table: 'readWrite' },
};

/** The revocation workflow: its state machine and task functions. */
export class RevocationWorkflow extends TaskWorkflow<typeof REVOCATION_WORKFLOW> {
  constructor(scope: Construct, id: string, props: { table: ITable; caSecret: ISecret }) {
    super(scope, id, { ...props, workflow: REVOCATION_WORKFLOW, tasks: TASKS, comment: 'certrevoke: revocation of a certificate' });
  }
}
