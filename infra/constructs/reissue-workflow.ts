import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { REISSUE_WORKFLOW } from '../workflows/index.js';
import { definitionPath, TaskWorkflow, type TaskName, type TaskSpec } from './task-workflow.js';

/** The workflow's definition, relative to the repository root; the local runtime loads the same file. */
export const REISSUE_DEFINITION = definitionPath(REISSUE_WORKFLOW);

export type ReissueTask = TaskName<typeof REISSUE_WORKFLOW>;

/**
 * What each task function may touch. Timeouts follow the tasks: check-validation runs DNS and
 * HTTP probes, issue signs with the CA. No task touches the key vault: the key is generated and
 * sealed when the request is submitted.
 */
const TASKS: Record<ReissueTask, TaskSpec> = {
  'reissue-check-validation': { timeout: Duration.seconds(30), table: 'readWrite' },
  // Queues the request for review with its token; completes the token itself when the review is already decided.
  'reissue-await-review': { timeout: Duration.seconds(10), table: 'readWrite', taskCallbacks: true },
  'reissue-issue': { timeout: Duration.seconds(60), table: 'readWrite', caSecret: 'read' },
  'reissue-fail': { timeout: Duration.seconds(10), table: 'readWrite' },
};

/** The reissue workflow: its state machine and task functions. */
export class ReissueWorkflow extends TaskWorkflow<typeof REISSUE_WORKFLOW> {
  constructor(scope: Construct, id: string, props: { table: ITable; caSecret: ISecret }) {
    super(scope, id, { ...props, workflow: REISSUE_WORKFLOW, tasks: TASKS, comment: 'certrevoke: reissue of a certificate' });
  }
}
