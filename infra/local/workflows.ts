import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { loadDefinition, REISSUE_WORKFLOW, REVOCATION_WORKFLOW } from '../workflows/index.js';
import { startLocalStepFunctions } from './step-functions.js';

const localFunctionArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

type TaskHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * The same ASL files Step Functions runs in AWS, interpreted locally, each task calling the
 * same handler module its Lambda would run.
 */
export async function startLocalWorkflows(options: { timeScale: number }) {
  const arns = (tasks: Record<string, string>) => Object.fromEntries(Object.entries(tasks).map(([key, name]) => [key, localFunctionArn(name)]));
  const engine = await startLocalStepFunctions({
    stateMachines: [
      { name: 'revocation', definition: await loadDefinition(REVOCATION_WORKFLOW.file, arns(REVOCATION_WORKFLOW.tasks)) },
      { name: 'reissue', definition: await loadDefinition(REISSUE_WORKFLOW.file, arns(REISSUE_WORKFLOW.tasks)) },
    ],
    invokeLambda: async (arnOrName, payload) => {
      const name = arnOrName.split(':').pop()!;
      const module = (await import(`../../functions/${name}.js`)) as { handler: TaskHandler };
      return module.handler(payload, { awsRequestId: randomUUID(), functionName: name } as Context);
    },
    timeScale: options.timeScale,
  });
  return { ...engine, revocationStateMachineArn: engine.stateMachineArn('revocation'), reissueStateMachineArn: engine.stateMachineArn('reissue') };
}
