import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { TaskGoneError } from '../app/errors.js';
import type { Reissue, Revocation } from '../app/model.js';
import type { Workflows } from '../app/ports.js';
import { createAwsClient } from './aws-client.js';

/** Errors Step Functions answers for a token whose task no longer waits (late or double decision). */
const GONE = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** Step Functions through the AWS SDK; locally the same client talks to the local endpoint. */
export class SfnWorkflows implements Workflows {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachines: { revocation: () => string; reissue: () => string },
  ) {}

  startRevocation(revocation: Pick<Revocation, 'id' | 'status' | 'version'>): Promise<void> {
    return this.start(this.stateMachines.revocation, 'revocation', { revocationId: revocation.id, status: revocation.status }, revocation);
  }

  startReissue(reissue: Pick<Reissue, 'id' | 'status' | 'version'>): Promise<void> {
    return this.start(this.stateMachines.reissue, 'reissue', { reissueId: reissue.id, status: reissue.status }, reissue);
  }

  private async start(arn: () => string, prefix: string, input: Record<string, string>, request: { id: string; version: number }): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: arn(),
          // One name per request state: a repeated start of the same state is a no-op.
          name: `${prefix}-${request.id}-v${request.version}`.slice(0, 80),
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
  }

  async completeTask(token: string, output: unknown): Promise<void> {
    await this.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
  }

  async failTask(token: string, error: string, cause: string): Promise<void> {
    await this.send(new SendTaskFailureCommand({ taskToken: token, error, cause }));
  }

  private async send(command: SendTaskSuccessCommand | SendTaskFailureCommand): Promise<void> {
    try {
      await this.client.send(command as SendTaskSuccessCommand);
    } catch (error) {
      if (GONE.has((error as Error).name)) throw new TaskGoneError();
      throw error;
    }
  }
}

export function createSfnClient(options: { region: string; endpoint?: string | undefined }): SFNClient {
  return createAwsClient(SFNClient, { region: options.region, endpoint: options.endpoint, requestTimeoutMs: 5_000 });
}
