import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStepFunctions, type LocalStepFunctions } from '../../infra/local/step-functions.js';

// The real SFN client against the local endpoint: what the workflows adapter will send, and the
// error classes it will see. Durations are scaled by 0.0001 (an hour lasts 0.36 s).

type AslValidator = (definition: unknown, options?: { checkArn?: boolean; checkPaths?: boolean }) => {
  isValid: boolean;
  errorsText: (separator?: string) => string;
};
// asl-validator 4 ships no type declarations.
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const fn = (name: string) => `arn:aws:lambda:local:000000000000:function:${name}`;

const definitions = {
  'three-states': {
    StartAt: 'Prepare',
    States: {
      Prepare: { Type: 'Pass', Parameters: { 'value.$': '$.value', 'executionId.$': '$$.Execution.Id' }, Next: 'Double' },
      Double: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: fn('double'), 'Payload.$': '$' },
        ResultSelector: { 'doubled.$': '$.Payload.doubled', 'statusCode.$': '$.StatusCode' },
        ResultPath: '$.work',
        Next: 'Done',
      },
      Done: { Type: 'Succeed' },
    },
  },
  orders: {
    StartAt: 'Route',
    States: {
      Route: {
        Type: 'Choice',
        Choices: [
          { Variable: '$.kind', StringEquals: 'flaky', Next: 'Charge' },
          { Variable: '$.kind', StringEquals: 'broken', Next: 'Reserve' },
        ],
        Default: 'Explode',
      },
      Charge: {
        Type: 'Task',
        Resource: fn('charge'),
        ResultPath: '$.charge',
        Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 3, JitterStrategy: 'FULL' }],
        Next: 'Done',
      },
      Reserve: {
        Type: 'Task',
        Resource: fn('reserve'),
        Catch: [{ ErrorEquals: ['PermanentError'], ResultPath: '$.error', Next: 'Compensate' }],
        Next: 'Done',
      },
      Compensate: { Type: 'Task', Resource: fn('compensate'), Next: 'Done' },
      Explode: { Type: 'Task', Resource: fn('explode'), Next: 'Done' },
      Done: { Type: 'Succeed' },
    },
  },
  waits: {
    StartAt: 'Cooldown',
    States: {
      Cooldown: { Type: 'Wait', Seconds: 3600, Next: 'Backoff' },
      Backoff: { Type: 'Wait', SecondsPath: '$.delaySeconds', Next: 'Deadline' },
      Deadline: { Type: 'Wait', TimestampPath: '$.until', End: true },
    },
  },
  bounded: {
    TimeoutSeconds: 3600,
    StartAt: 'Linger',
    States: { Linger: { Type: 'Wait', Seconds: 86_400, End: true } },
  },
  review: {
    StartAt: 'AskReviewer',
    States: {
      AskReviewer: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: fn('ask-reviewer'), Payload: { 'token.$': '$$.Task.Token', 'id.$': '$.id' } },
        TimeoutSecondsPath: '$.timeoutSeconds',
        HeartbeatSecondsPath: '$.heartbeatSeconds',
        ResultPath: '$.decision',
        // TaskFailed first: a timeout must still skip it, as on AWS.
        Catch: [
          { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.failure', Next: 'Rejected' },
          { ErrorEquals: ['States.Timeout'], ResultPath: '$.failure', Next: 'Expired' },
        ],
        Next: 'Decide',
      },
      Decide: {
        Type: 'Choice',
        Choices: [{ Variable: '$.decision.approved', BooleanEquals: true, Next: 'Approved' }],
        Default: 'Declined',
      },
      Approved: { Type: 'Pass', Parameters: { outcome: 'approved', 'reviewer.$': '$.decision.reviewer' }, End: true },
      Declined: { Type: 'Pass', Parameters: { outcome: 'declined' }, End: true },
      Rejected: { Type: 'Pass', Parameters: { outcome: 'rejected', 'error.$': '$.failure.Error', 'cause.$': '$.failure.Cause' }, End: true },
      Expired: { Type: 'Pass', Parameters: { outcome: 'expired', 'error.$': '$.failure.Error' }, End: true },
    },
  },
} as const;

class TransientError extends Error {
  override name = 'Transient';
}
class PermanentError extends Error {
  override name = 'PermanentError';
}
class FatalError extends Error {
  override name = 'FatalError';
}

type Payload = Record<string, unknown>;

const chargeCalls = new Map<string, number>();
const charges = new Map<string, number>();
const reviewTokens = new Map<string, string>();

const lambdas: Record<string, (payload: Payload) => unknown> = {
  [fn('double')]: (payload) => ({ doubled: Number(payload.value) * 2 }),
  [fn('charge')]: (payload) => {
    const id = String(payload.id);
    const calls = (chargeCalls.get(id) ?? 0) + 1;
    chargeCalls.set(id, calls);
    if (calls === 1) throw new TransientError('gateway busy');
    charges.set(id, (charges.get(id) ?? 0) + 1);
    return { charged: true, attempt: calls };
  },
  [fn('reserve')]: () => {
    throw new PermanentError('out of stock');
  },
  [fn('compensate')]: (payload) => {
    const error = payload.error as { Error: string; Cause: string };
    return { compensated: error.Error, reason: (JSON.parse(error.Cause) as { errorMessage: string }).errorMessage };
  },
  [fn('explode')]: () => {
    throw new FatalError('boom');
  },
  [fn('ask-reviewer')]: (payload) => {
    reviewTokens.set(String(payload.id), String(payload.token));
    return { asked: true };
  },
};

let local: LocalStepFunctions;
let sfn: SFNClient;

beforeAll(async () => {
  local = await startLocalStepFunctions({
    stateMachines: Object.entries(definitions).map(([name, definition]) => ({ name, definition: JSON.stringify(definition) })),
    invokeLambda: async (functionArnOrName, payload) => {
      const lambda = lambdas[functionArnOrName];
      if (!lambda) throw new Error(`no local function ${functionArnOrName}`);
      return lambda(payload as Payload);
    },
    timeScale: 0.0001,
  });
  sfn = new SFNClient({ region: 'us-east-1', endpoint: local.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  sfn?.destroy();
  await local?.stop();
});

async function start(machine: keyof typeof definitions, input: object, name: string = randomUUID()): Promise<string> {
  const started = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: local.stateMachineArn(machine), name, input: JSON.stringify(input) }),
  );
  if (!started.executionArn) throw new Error('StartExecution returned no executionArn');
  return started.executionArn;
}

function describeExecution(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

async function finished(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const described = await describeExecution(executionArn);
    if (described.status !== 'RUNNING') return described;
    if (Date.now() > deadline) throw new Error(`${executionArn} is still RUNNING`);
    await sleep(20);
  }
}

async function reviewToken(id: string): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const token = reviewTokens.get(id);
    if (token) return token;
    if (Date.now() > deadline) throw new Error(`no review was asked for ${id}`);
    await sleep(10);
  }
}

function outputOf(described: DescribeExecutionCommandOutput): unknown {
  return JSON.parse(described.output ?? 'null');
}

/** Review input with timers far beyond the test (600 000 s scaled is 60 s). */
function reviewInput(overrides: Record<string, unknown> = {}) {
  return { id: randomUUID(), timeoutSeconds: 600_000, heartbeatSeconds: 600_000, ...overrides };
}

describe('inline definitions', () => {
  it.each(Object.entries(definitions))('passes asl-validator: %s', (_name, definition) => {
    // asl-validator annotates the object it reads: give it a copy.
    const result = aslValidator(structuredClone(definition), { checkArn: true, checkPaths: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('are refused by asl-validator when a Next names no state', () => {
    const dangling = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } };
    expect(aslValidator(dangling).isValid).toBe(false);
  });

  it('rejects a start with an invalid definition or a resource it cannot run locally', async () => {
    const invokeLambda = async () => null;
    await expect(
      startLocalStepFunctions({
        stateMachines: [{ name: 'dangling', definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }) }],
        invokeLambda,
      }),
    ).rejects.toThrow(/dangling/);
    const sqs = { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } } };
    await expect(
      startLocalStepFunctions({ stateMachines: [{ name: 'sqs', definition: JSON.stringify(sqs) }], invokeLambda }),
    ).rejects.toThrow(/not supported locally/);
  });
});

describe('local Step Functions endpoint', () => {
  it('runs a three-state execution through lambda:invoke and counts three transitions', async () => {
    const executionArn = await start('three-states', { value: 21 }, 'three-1');
    expect(executionArn).toBe('arn:aws:states:local:000000000000:execution:three-states:three-1');

    const described = await finished(executionArn);

    expect(described.status).toBe('SUCCEEDED');
    expect(described.startDate).toBeInstanceOf(Date);
    expect(described.stopDate).toBeInstanceOf(Date);
    expect(outputOf(described)).toEqual({ value: 21, executionId: executionArn, work: { doubled: 42, statusCode: 200 } });
    expect(local.transitions(executionArn)).toBe(3);
  });

  it('retries a task that fails once (backoff, full jitter) and applies its effect once', async () => {
    const id = randomUUID();
    const executionArn = await start('orders', { kind: 'flaky', id });

    const described = await finished(executionArn);

    expect(described.status).toBe('SUCCEEDED');
    expect(outputOf(described)).toEqual({ kind: 'flaky', id, charge: { charged: true, attempt: 2 } });
    expect(chargeCalls.get(id)).toBe(2);
    expect(charges.get(id)).toBe(1);
    // Route, Charge, its retry, Done: AWS bills a retry as a transition.
    expect(local.transitions(executionArn)).toBe(4);
  });

  it('routes a task error to Catch and on to a compensating task', async () => {
    const executionArn = await start('orders', { kind: 'broken' });

    const described = await finished(executionArn);

    expect(described.status).toBe('SUCCEEDED');
    expect(outputOf(described)).toEqual({ compensated: 'PermanentError', reason: 'out of stock' });
  });

  it('fails the execution with the Lambda error name and cause when nothing catches it', async () => {
    const executionArn = await start('orders', { kind: 'other' });

    const described = await finished(executionArn);

    expect(described).toMatchObject({ status: 'FAILED', error: 'FatalError' });
    expect(JSON.parse(described.cause ?? '{}')).toEqual({ errorType: 'FatalError', errorMessage: 'boom' });
    expect(described.output).toBeUndefined();
  });

  it('scales Seconds, SecondsPath and TimestampPath waits of an hour each down to a fraction of a second', async () => {
    const input = { delaySeconds: 3600, until: new Date(Date.now() + 3_600_000).toISOString() };
    const begun = Date.now();
    const executionArn = await start('waits', input);

    const described = await finished(executionArn);

    const elapsed = Date.now() - begun;
    expect(described.status).toBe('SUCCEEDED');
    expect(outputOf(described)).toEqual(input);
    expect(elapsed).toBeGreaterThanOrEqual(700); // three scaled hours of 360 ms each: the waits do wait
    expect(elapsed).toBeLessThan(5_000);
    expect(local.transitions(executionArn)).toBe(3);
  });

  it('times out an execution after its scaled TimeoutSeconds', async () => {
    const executionArn = await start('bounded', {});

    const described = await finished(executionArn);

    expect(described).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
  });

  it('completes a .waitForTaskToken task with the SendTaskSuccess output, then answers TaskTimedOut for its token', async () => {
    const input = reviewInput();
    const executionArn = await start('review', input);
    const taskToken = await reviewToken(input.id);

    expect(taskToken).toMatch(/^[A-Za-z0-9_-]{43,}$/); // at least 32 bytes, base64url
    expect((await describeExecution(executionArn)).status).toBe('RUNNING');
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ approved: true, reviewer: 'ria' }) }));

    const described = await finished(executionArn);
    expect(described.status).toBe('SUCCEEDED');
    expect(outputOf(described)).toEqual({ outcome: 'approved', reviewer: 'ria' });

    const again = sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }));
    await expect(again).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(again).rejects.toMatchObject({ name: 'TaskTimedOut', $fault: 'client' });
    await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('routes SendTaskFailure to Catch with the error and cause it was given', async () => {
    const input = reviewInput();
    const executionArn = await start('review', input);
    const taskToken = await reviewToken(input.id);

    await sfn.send(new SendTaskFailureCommand({ taskToken, error: 'ReviewRejected', cause: 'not the owner' }));

    const described = await finished(executionArn);
    expect(described.status).toBe('SUCCEEDED');
    expect(outputOf(described)).toEqual({ outcome: 'rejected', error: 'ReviewRejected', cause: 'not the owner' });
  });

  it('rejects a token it never issued as InvalidToken', async () => {
    const garbage = sfn.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }));
    await expect(garbage).rejects.toBeInstanceOf(InvalidToken);
    const forged = Buffer.alloc(48, 7).toString('base64url');
    await expect(sfn.send(new SendTaskFailureCommand({ taskToken: forged, error: 'X' }))).rejects.toMatchObject({ name: 'InvalidToken' });
  });

  it('fails a callback task with States.Timeout, which States.TaskFailed does not catch, when TimeoutSecondsPath expires', async () => {
    const input = reviewInput({ timeoutSeconds: 5 });
    const executionArn = await start('review', input);
    const taskToken = await reviewToken(input.id);

    const described = await finished(executionArn);

    expect(described.status).toBe('SUCCEEDED');
    expect(outputOf(described)).toEqual({ outcome: 'expired', error: 'States.Timeout' });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('keeps a callback task alive with heartbeats and fails it with States.HeartbeatTimeout without them', async () => {
    // 3000 s scaled: a heartbeat is due every 300 ms.
    const beating = reviewInput({ heartbeatSeconds: 3000 });
    const silent = reviewInput({ heartbeatSeconds: 3000 });
    const beatingArn = await start('review', beating);
    const silentArn = await start('review', silent);
    const taskToken = await reviewToken(beating.id);

    const until = Date.now() + 900;
    while (Date.now() < until) {
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
      await sleep(50);
    }
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ approved: false }) }));

    expect(outputOf(await finished(beatingArn))).toEqual({ outcome: 'declined' });
    expect(outputOf(await finished(silentArn))).toMatchObject({ outcome: 'rejected', error: 'States.HeartbeatTimeout' });
  });

  it('answers a duplicate StartExecution with the running execution, and ExecutionAlreadyExists for other input or a closed one', async () => {
    const name = `dup-${randomUUID()}`;
    const input = reviewInput();
    const first = await start('review', input, name);

    expect(await start('review', input, name)).toBe(first);
    await expect(start('review', { ...input, id: 'other' }, name)).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    await sfn.send(new SendTaskSuccessCommand({ taskToken: await reviewToken(input.id), output: '{"approved":true,"reviewer":"x"}' }));
    expect((await finished(first)).status).toBe('SUCCEEDED');
    await expect(start('review', input, name)).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('stops an execution (ABORTED) and ends its task token', async () => {
    const input = reviewInput();
    const executionArn = await start('review', input);
    const taskToken = await reviewToken(input.id);

    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Withdrawn', cause: 'customer withdrew' }));

    expect(await describeExecution(executionArn)).toMatchObject({ status: 'ABORTED', error: 'Withdrawn', cause: 'customer withdrew' });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('answers StateMachineDoesNotExist and ExecutionDoesNotExist for unknown ARNs', async () => {
    const unknownMachine = sfn.send(new StartExecutionCommand({ stateMachineArn: local.stateMachineArn('nope'), input: '{}' }));
    await expect(unknownMachine).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    const unknownExecution = describeExecution('arn:aws:states:local:000000000000:execution:review:nope');
    await expect(unknownExecution).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });
});
