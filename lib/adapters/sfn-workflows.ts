import { TaskGoneError } from '../app/errors.js';
import type { Reissue, Revocation } from '../app/model.js';
import type { Workflows } from '../app/ports.js';
import { JsonServiceClient } from './aws/json.js';

/** Errors Step Functions answers for a token whose task no longer waits (late or double decision). */
const GONE = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** Step Functions through our AWS client; locally the same client talks to the local endpoint. */
export class SfnWorkflows implements Workflows {
  constructor(
    private readonly client: JsonServiceClient,
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
      await this.client.send('StartExecution', {
        stateMachineArn: arn(),
        // One name per request state: a repeated start of the same state is a no-op.
        name: `${prefix}-${request.id}-v${request.version}`.slice(0, 80),
        input: JSON.stringify(input),
      });
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
  }

  async completeTask(token: string, output: unknown): Promise<void> {
    await this.send('SendTaskSuccess', { taskToken: token, output: JSON.stringify(output) });
  }

  async failTask(token: string, error: string, cause: string): Promise<void> {
    await this.send('SendTaskFailure', { taskToken: token, error, cause });
  }

  private async send(operation: 'SendTaskSuccess' | 'SendTaskFailure', input: object): Promise<void> {
    try {
      await this.client.send(operation, input);
    } catch (error) {
      if (GONE.has((error as Error).name)) throw new TaskGoneError();
      throw error;
    }
  }
}

export function createSfnClient(options: { region: string; endpoint?: string | undefined }): JsonServiceClient {
  return new JsonServiceClient({ service: 'states', name: 'SFN', targetPrefix: 'AWSStepFunctions', version: '1.0' }, { region: options.region, endpoint: options.endpoint, requestTimeoutMs: 5_000 });
}
