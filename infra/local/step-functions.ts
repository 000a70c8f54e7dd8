import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { polyfillPromiseWithResolvers } from './polyfills.js';

// Local Step Functions: aws-local-stepfunctions interprets the ASL (Choice, Pass, Map, Parallel,
// paths, intrinsics, Retry with backoff and jitter, Catch, Wait). This layer adds what it lacks:
// Task resources dispatched to local handlers, the callback pattern (.waitForTaskToken with task
// tokens, SendTaskSuccess/Failure/Heartbeat), task timeouts and heartbeats, a time scale, and the
// AWS JSON 1.0 endpoint @aws-sdk/client-sfn talks to.

export interface LocalStateMachine {
  name: string;
  /** ASL JSON text after substitution. */
  definition: string;
}

export interface LocalStepFunctionsOptions {
  stateMachines: LocalStateMachine[];
  /**
   * Calls the Lambda handler behind a Task: `Resource` when it is a function ARN, else
   * `Parameters.FunctionName` of `arn:aws:states:::lambda:invoke[.waitForTaskToken]`. The resolved
   * value is the task result; a throw fails the task with the error's `name` as the error name that
   * Retry and Catch match.
   */
  invokeLambda: (functionArnOrName: string, payload: unknown) => Promise<unknown>;
  /**
   * Multiplies every Wait duration, task TimeoutSeconds/HeartbeatSeconds (and their paths), Retry
   * interval and the machine's TimeoutSeconds (0.001 turns 3 days into ~4 minutes). Default 1.
   */
  timeScale?: number;
  /** 0 or undefined: a free port. Always bound to 127.0.0.1. */
  port?: number;
}

export interface LocalStepFunctions {
  endpoint: string;
  stateMachineArn(name: string): string;
  /** Stops the endpoint and aborts running executions. */
  stop(): Promise<void>;
  /** State transitions of an execution so far: one per state entered, one per retry (as AWS bills). */
  transitions(executionArn: string): number;
}

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type Json = Parameters<LocalHandlers[string]>[0];
type JsonObject = { [key: string]: Json };
type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

const PARTITION_ACCOUNT = 'local:000000000000';
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Below this, a task budget is real work time and is not shortened by the time scale. */
const MIN_TASK_BUDGET_SECONDS = 60;
/**
 * aws-local-stepfunctions times every Task out after 60 s unless the state says otherwise; this
 * layer enforces task timeouts itself (scaled), so the library gets the longest timer Node can arm.
 */
const LIBRARY_TASK_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const LAMBDA_INVOKE_CALLBACK = /^arn:aws[a-z-]*:states:::lambda:invoke\.waitForTaskToken$/;
/** Resource of the local task that replaces a Wait with SecondsPath/TimestampPath (never sent anywhere). */
const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::local:wait';
/** Characters AWS refuses in execution names, besides control characters. */
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

type TaskKind = 'function' | 'invoke' | 'callback' | 'wait';

interface TaskPlan {
  kind: TaskKind;
  resource: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
}

type WaitPlan = { seconds: number } | { timestamp: string };

interface CompiledMachine {
  name: string;
  arn: string;
  machine: StateMachine;
  tasks: Map<string, TaskPlan>;
  waits: Map<string, WaitPlan>;
}

interface Execution {
  arn: string;
  name: string;
  machine: CompiledMachine;
  input: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  transitions: number;
  /** Aborted when the execution stops, so its pending tasks and timers end with it. */
  stopped: AbortController;
  abort: () => void;
  settled: Promise<void>;
}

interface PendingCallback {
  succeed: (output: Json) => void;
  fail: (error: Error) => void;
  heartbeat: () => void;
}

/** A task error as Retry and Catch see it: `name` is the error name, `message` the Cause. */
class TaskFailure extends Error {
  constructor(errorName: string, cause: string) {
    super(cause);
    this.name = errorName;
  }
}

/** States.Runtime: fails the execution; aws-local-stepfunctions reads these flags, as AWS neither retries nor catches it. */
class RuntimeFailure extends TaskFailure {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(cause: string) {
    super('States.Runtime', cause);
  }
}

/** An error the endpoint returns to the SDK as `__type`, like Step Functions does. */
class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Starts the local Step Functions endpoint. Each definition is validated (aws-local-stepfunctions
 * runs asl-validator on it), its Task resources are checked, and every execution runs in-process.
 */
export async function startLocalStepFunctions(options: LocalStepFunctionsOptions): Promise<LocalStepFunctions> {
  polyfillPromiseWithResolvers();
  const timeScale = options.timeScale ?? 1;
  if (!(Number.isFinite(timeScale) && timeScale > 0)) throw new Error(`timeScale must be a positive number, got ${timeScale}`);
  const StatesTimeout = await statesTimeoutErrorClass();
  const machines = new Map(
    options.stateMachines.map((sm) => {
      const compiled = compileMachine(sm, timeScale);
      return [compiled.arn, compiled] as const;
    }),
  );
  const executions = new Map<string, Execution>();
  const callbacks = new Map<string, PendingCallback>();
  const tokens = new TaskTokens();

  const scaledMs = (seconds: number) => Math.min(MAX_TIMER_MS, Math.max(0, Math.round(seconds * 1000 * timeScale)));
  const untilScaledMs = (timestamp: string) => scaledMs((Date.parse(timestamp) - Date.now()) / 1000);
  /**
   * A task's time budget scales like waits do, but never below min(budget, 60 s): a 30-day
   * callback deadline shrinks for demos, while a Lambda's 30 s of real work does not become 3 ms.
   */
  const taskBudgetMs = (seconds: number) => Math.max(scaledMs(seconds), Math.min(seconds, MIN_TASK_BUDGET_SECONDS) * 1000);

  /** Runs one attempt of a Task state; Retry runs it again through the library. */
  function runTask(plan: TaskPlan, taskInput: Json, execution: Execution, tokenPlaceholder: string): Promise<Json> {
    return new Promise<Json>((resolve, reject) => {
      const request = isObject(taskInput) ? taskInput : {};
      const timers = new Set<NodeJS.Timeout>();
      let heartbeatTimer: NodeJS.Timeout | undefined;
      let token: string | undefined;
      let done = false;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        for (const timer of timers) clearTimeout(timer);
        clearTimeout(heartbeatTimer);
        if (token !== undefined) callbacks.delete(token);
        execution.stopped.signal.removeEventListener('abort', onStop);
        settle();
      };
      const succeed = (value: Json) => finish(() => resolve(value));
      const fail = (error: Error) => finish(() => reject(error));
      const onStop = () => fail(new TaskFailure('States.Runtime', 'The execution was stopped'));
      const after = (ms: number, action: () => void) => timers.add(setTimeout(action, ms));
      if (execution.stopped.signal.aborted) return onStop();
      execution.stopped.signal.addEventListener('abort', onStop, { once: true });

      try {
        if (plan.kind === 'wait') {
          const ms =
            typeof request.seconds === 'number' && Number.isInteger(request.seconds) && request.seconds >= 0
              ? scaledMs(request.seconds)
              : typeof request.timestamp === 'string' && !Number.isNaN(Date.parse(request.timestamp))
                ? untilScaledMs(request.timestamp)
                : undefined;
          if (ms === undefined) {
            return fail(new RuntimeFailure('SecondsPath must select a non-negative integer, TimestampPath an RFC 3339 timestamp'));
          }
          after(ms, () => succeed(request.input ?? null));
          return;
        }

        const timeoutSeconds = positiveInteger(plan.timeoutSeconds ?? request.timeoutSeconds, 'TimeoutSecondsPath');
        const heartbeatSeconds = positiveInteger(plan.heartbeatSeconds ?? request.heartbeatSeconds, 'HeartbeatSecondsPath');
        if (timeoutSeconds !== undefined) after(taskBudgetMs(timeoutSeconds), () => fail(new StatesTimeout()));
        const heartbeat = () => {
          if (heartbeatSeconds === undefined) return;
          clearTimeout(heartbeatTimer);
          heartbeatTimer = setTimeout(
            () => fail(new TaskFailure('States.HeartbeatTimeout', `No heartbeat for ${heartbeatSeconds} s (scaled)`)),
            scaledMs(heartbeatSeconds),
          );
        };
        heartbeat();

        const payload = request.payload ?? null;
        if (plan.kind === 'function') {
          invoke(plan.resource, payload).then(succeed, fail);
          return;
        }
        const call = isObject(payload) ? payload : {};
        if (typeof call.FunctionName !== 'string') return fail(new RuntimeFailure(`${plan.resource} needs Parameters.FunctionName`));
        if (plan.kind === 'invoke') {
          // The shape the optimised lambda:invoke integration returns.
          invoke(call.FunctionName, call.Payload ?? null).then(
            (result) => succeed({ ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 }),
            fail,
          );
          return;
        }
        // Callback pattern: the token exists before the handler runs, so a callback may even
        // arrive before the handler returns; the handler's result is ignored, its error fails the task.
        token = tokens.issue();
        callbacks.set(token, { succeed, fail, heartbeat });
        invoke(call.FunctionName, replaceAll(call.Payload ?? null, tokenPlaceholder, token)).catch(fail);
      } catch (error) {
        fail(error instanceof Error ? error : new RuntimeFailure(String(error)));
      }
    });
  }

  /** The Lambda boundary: JSON in and out, as over the wire; a throw becomes the Lambda error. */
  async function invoke(functionArnOrName: string, payload: Json): Promise<Json> {
    try {
      return toJson(await options.invokeLambda(functionArnOrName, toJson(payload)));
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      // AWS puts the function's error document in Cause (without the stack trace here).
      throw new TaskFailure(name, JSON.stringify({ errorType: name, errorMessage: message }));
    }
  }

  function startExecution(machine: CompiledMachine, name: string, input: string): Execution {
    const arn = `arn:aws:states:${PARTITION_ACCOUNT}:execution:${machine.name}:${name}`;
    // Unique per execution: stands for $$.Task.Token until a callback task swaps in its real token.
    const tokenPlaceholder = `local-task-token-placeholder-${randomUUID()}`;
    const execution: Execution = {
      arn,
      name,
      machine,
      input,
      status: 'RUNNING',
      startDate: new Date(),
      transitions: 0,
      stopped: new AbortController(),
      abort: () => undefined,
      settled: Promise.resolve(),
    };
    const taskResourceLocalHandlers: LocalHandlers = {};
    for (const [stateName, plan] of machine.tasks) {
      taskResourceLocalHandlers[stateName] = (taskInput) => runTask(plan, taskInput, execution, tokenPlaceholder);
    }
    const waitTimeOverrides: Record<string, number> = {};
    for (const [stateName, wait] of machine.waits) {
      if ('seconds' in wait) waitTimeOverrides[stateName] = scaledMs(wait.seconds);
      // Read when the Wait starts: the time left until the timestamp, scaled.
      else Object.defineProperty(waitTimeOverrides, stateName, { enumerable: true, get: () => untilScaledMs(wait.timestamp) });
    }
    const run = machine.machine.run(JSON.parse(input) as Json, {
      overrides: { taskResourceLocalHandlers, waitTimeOverrides },
      context: {
        Execution: { Id: arn, Name: name },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: tokenPlaceholder },
      },
    });
    execution.abort = () => {
      execution.stopped.abort();
      run.abort();
    };
    execution.settled = settle(execution, run);
    return execution;
  }

  async function settle(execution: Execution, run: ReturnType<StateMachine['run']>): Promise<void> {
    const counted = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered' || event.type === 'StateRetried') execution.transitions += 1;
      }
    })();
    const outcome = await run.result.then(
      (output): Partial<Execution> => ({ status: 'SUCCEEDED', output: JSON.stringify(output) }),
      (error: unknown): Partial<Execution> => {
        if (error instanceof ExecutionAbortedError) return { status: 'ABORTED' };
        if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution timed out' };
        const cause = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : undefined;
        return cause
          ? { status: 'FAILED', error: cause.name, cause: cause.message }
          : { status: 'FAILED', error: 'States.Runtime', cause: 'The local interpreter failed' };
      },
    );
    // The status changes only once every transition is counted, so a finished execution reads final.
    await counted;
    execution.stopped.abort();
    if (execution.status === 'RUNNING') Object.assign(execution, outcome, { stopDate: new Date() });
  }

  function findExecution(arn: string): Execution {
    const execution = executions.get(arn);
    if (!execution) throw new ServiceError('ExecutionDoesNotExist', `Execution does not exist: '${arn}'`);
    return execution;
  }

  function findCallback(token: unknown): PendingCallback {
    if (!tokens.isGenuine(token)) throw new ServiceError('InvalidToken', 'Invalid token');
    const callback = callbacks.get(token);
    // AWS answers TaskTimedOut for a token whose task has already ended (succeeded, failed, timed out, stopped).
    if (!callback) throw new ServiceError('TaskTimedOut', 'Task Timed Out');
    return callback;
  }

  const operations: Record<string, (body: JsonObject) => JsonObject> = {
    StartExecution(body) {
      const machineArn = requiredString(body, 'stateMachineArn');
      const machine = machines.get(machineArn);
      if (!machine) throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${machineArn}'`);
      const name = optionalString(body, 'name') ?? randomUUID();
      if (!isValidExecutionName(name)) throw new ServiceError('InvalidName', `Invalid Name: '${name}'`);
      const input = optionalString(body, 'input') ?? '{}';
      if (!isJson(input)) throw new ServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input');
      const arn = `arn:aws:states:${PARTITION_ACCOUNT}:execution:${machine.name}:${name}`;
      const existing = executions.get(arn);
      if (existing) {
        // AWS: same name and input as a running execution answers with that execution; anything else is a conflict.
        if (existing.status === 'RUNNING' && existing.input === input) {
          return { executionArn: existing.arn, startDate: epochSeconds(existing.startDate) };
        }
        throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
      }
      const execution = startExecution(machine, name, input);
      executions.set(arn, execution);
      return { executionArn: execution.arn, startDate: epochSeconds(execution.startDate) };
    },
    DescribeExecution(body) {
      const execution = findExecution(requiredString(body, 'executionArn'));
      return withoutUndefined({
        executionArn: execution.arn,
        stateMachineArn: execution.machine.arn,
        name: execution.name,
        status: execution.status,
        startDate: epochSeconds(execution.startDate),
        stopDate: execution.stopDate && epochSeconds(execution.stopDate),
        input: execution.input,
        inputDetails: { included: true },
        output: execution.output,
        outputDetails: execution.output === undefined ? undefined : { included: true },
        error: execution.error || undefined,
        cause: execution.cause,
      });
    },
    StopExecution(body) {
      const execution = findExecution(requiredString(body, 'executionArn'));
      if (execution.status === 'RUNNING') {
        Object.assign(execution, {
          status: 'ABORTED',
          stopDate: new Date(),
          error: optionalString(body, 'error'),
          cause: optionalString(body, 'cause'),
        });
        execution.abort();
      }
      return { stopDate: epochSeconds(execution.stopDate ?? new Date()) };
    },
    SendTaskSuccess(body) {
      const callback = findCallback(body.taskToken);
      const output = requiredString(body, 'output');
      if (!isJson(output)) throw new ServiceError('InvalidOutput', 'Invalid Output');
      callback.succeed(JSON.parse(output) as Json);
      return {};
    },
    SendTaskFailure(body) {
      const callback = findCallback(body.taskToken);
      callback.fail(new TaskFailure(optionalString(body, 'error') ?? '', optionalString(body, 'cause') ?? ''));
      return {};
    },
    SendTaskHeartbeat(body) {
      findCallback(body.taskToken).heartbeat();
      return {};
    },
  };

  const server = createServer((request, response) => {
    void handleRequest(request, response, operations);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    stateMachineArn: (name) => stateMachineArnOf(name),
    transitions(executionArn) {
      const execution = executions.get(executionArn);
      if (!execution) throw new Error(`No local execution ${executionArn}`);
      return execution.transitions;
    },
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      for (const execution of executions.values()) {
        if (execution.status === 'RUNNING') {
          Object.assign(execution, { status: 'ABORTED', stopDate: new Date() });
          execution.abort();
        }
      }
      await Promise.all([...executions.values()].map((execution) => execution.settled));
    },
  };
}

function stateMachineArnOf(name: string): string {
  return `arn:aws:states:${PARTITION_ACCOUNT}:stateMachine:${name}`;
}

/**
 * Validates the definition, then rewrites a copy for the library: Task states get local handlers
 * (their Parameters wrapped so the handler also sees TimeoutSecondsPath/HeartbeatSecondsPath
 * values), Waits with a path become local wait tasks, and durations are scaled.
 */
function compileMachine(sm: LocalStateMachine, timeScale: number): CompiledMachine {
  const fail = (message: string): never => {
    throw new Error(`State machine ${sm.name}: ${message}`);
  };
  const parsed = isJson(sm.definition) ? (JSON.parse(sm.definition) as Json) : undefined;
  const definition = isObject(parsed) ? parsed : fail('the definition is not a JSON object');
  try {
    // The library validates with asl-validator (which annotates what it reads: give it a copy).
    new StateMachine(structuredClone(definition) as unknown as StateMachineDefinition);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  const tasks = new Map<string, TaskPlan>();
  const waits = new Map<string, WaitPlan>();
  const scaleSeconds = (seconds: number) => Math.min(LIBRARY_TASK_TIMEOUT_SECONDS, seconds * timeScale);

  const rewriteStates = (states: JsonObject) => {
    for (const [stateName, value] of Object.entries(states)) {
      const state = value as JsonObject; // shapes validated above
      if (Array.isArray(state.Retry)) {
        for (const retrier of state.Retry as JsonObject[]) {
          retrier.IntervalSeconds = ((retrier.IntervalSeconds as number | undefined) ?? 1) * timeScale;
          if (typeof retrier.MaxDelaySeconds === 'number') retrier.MaxDelaySeconds = scaleSeconds(retrier.MaxDelaySeconds);
        }
      }
      if (state.Type === 'Task') {
        const resource = state.Resource as string;
        const kind: TaskKind = LAMBDA_FUNCTION_ARN.test(resource)
          ? 'function'
          : LAMBDA_INVOKE.test(resource)
            ? 'invoke'
            : LAMBDA_INVOKE_CALLBACK.test(resource)
              ? 'callback'
              : fail(`state ${stateName}: ${resource} is not supported locally (function ARNs, lambda:invoke[.waitForTaskToken] are)`);
        if (kind === 'callback' && !JSON.stringify(state.Parameters ?? null).includes('$$.Task.Token')) {
          fail(`state ${stateName}: a .waitForTaskToken task must pass $$.Task.Token in Parameters`);
        }
        tasks.set(stateName, {
          kind,
          resource,
          timeoutSeconds: state.TimeoutSeconds as number | undefined,
          heartbeatSeconds: state.HeartbeatSeconds as number | undefined,
        });
        const parameters: JsonObject = state.Parameters === undefined ? { 'payload.$': '$' } : { payload: state.Parameters };
        if (typeof state.TimeoutSecondsPath === 'string') parameters['timeoutSeconds.$'] = state.TimeoutSecondsPath;
        if (typeof state.HeartbeatSecondsPath === 'string') parameters['heartbeatSeconds.$'] = state.HeartbeatSecondsPath;
        state.Parameters = parameters;
        state.TimeoutSeconds = LIBRARY_TASK_TIMEOUT_SECONDS;
        delete state.TimeoutSecondsPath;
        delete state.HeartbeatSeconds;
        delete state.HeartbeatSecondsPath;
      } else if (state.Type === 'Wait') {
        if (typeof state.Seconds === 'number') waits.set(stateName, { seconds: state.Seconds });
        else if (typeof state.Timestamp === 'string') waits.set(stateName, { timestamp: state.Timestamp });
        else {
          // The library's wait override is a fixed number per state: a path needs the input, so a
          // local task waits instead; same InputPath/OutputPath, and it returns its input unchanged.
          const path: JsonObject =
            typeof state.SecondsPath === 'string' ? { 'seconds.$': state.SecondsPath } : { 'timestamp.$': state.TimestampPath as string };
          const { SecondsPath: _seconds, TimestampPath: _timestamp, ...rest } = state;
          states[stateName] = {
            ...rest,
            Type: 'Task',
            Resource: LOCAL_WAIT_RESOURCE,
            Parameters: { ...path, 'input.$': '$' },
            TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS,
          };
          tasks.set(stateName, { kind: 'wait', resource: LOCAL_WAIT_RESOURCE });
        }
      } else if (state.Type === 'Parallel') {
        for (const branch of state.Branches as JsonObject[]) rewriteStates(branch.States as JsonObject);
      } else if (state.Type === 'Map') {
        rewriteStates(((state.ItemProcessor ?? state.Iterator) as JsonObject).States as JsonObject);
      }
    }
  };
  rewriteStates(definition.States as JsonObject);
  if (typeof definition.TimeoutSeconds === 'number') definition.TimeoutSeconds = scaleSeconds(definition.TimeoutSeconds);

  return {
    name: sm.name,
    arn: stateMachineArnOf(sm.name),
    // Validated above; the rewrite uses fractional durations and local resources asl-validator would refuse.
    machine: new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } }),
    tasks,
    waits,
  };
}

let statesTimeoutError: Promise<new () => Error> | undefined;

/**
 * In Retry and Catch, `States.TaskFailed` matches every task error except a timeout; the library
 * tells them apart with `instanceof` its StatesTimeoutError, which it does not export. Our timers
 * must fail tasks with that class, so it is taken once from a task the library itself times out.
 */
function statesTimeoutErrorClass(): Promise<new () => Error> {
  statesTimeoutError ??= (async () => {
    const probe = new StateMachine(
      {
        StartAt: 'Probe',
        States: { Probe: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:probe', TimeoutSeconds: 0.001, End: true } },
      },
      { validationOptions: { noValidate: true } },
    );
    const never = new Promise<Json>(() => undefined);
    const outcome = await probe.run({}, { overrides: { taskResourceLocalHandlers: { Probe: () => never } } }).result.catch((error: unknown) => error);
    const cause = outcome instanceof ExecutionError ? outcome.cause : undefined;
    if (!(cause instanceof Error) || cause.name !== 'States.Timeout') {
      const seen = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(outcome);
      throw new Error(`aws-local-stepfunctions did not time out a task as expected (${seen})`);
    }
    return cause.constructor as new () => Error;
  })();
  return statesTimeoutError;
}

/**
 * Opaque task tokens: 32 random bytes and a 16-byte HMAC under a per-process key, base64url. A
 * token this process never issued is InvalidToken; an issued one whose task ended is TaskTimedOut.
 */
class TaskTokens {
  private readonly key = randomBytes(32);

  issue(): string {
    const id = randomBytes(32);
    return Buffer.concat([id, this.mac(id)]).toString('base64url');
  }

  isGenuine(token: unknown): token is string {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{64}$/.test(token)) return false;
    const bytes = Buffer.from(token, 'base64url');
    return bytes.length === 48 && timingSafeEqual(bytes.subarray(32), this.mac(bytes.subarray(0, 32)));
  }

  private mac(id: Buffer): Buffer {
    return createHmac('sha256', this.key).update(id).digest().subarray(0, 16);
  }
}

async function handleRequest(
  request: IncomingMessage,
  response: ServerResponse,
  operations: Record<string, (body: JsonObject) => JsonObject>,
): Promise<void> {
  try {
    const target = request.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Json;
    try {
      body = text === '' ? {} : (JSON.parse(text) as Json);
    } catch {
      throw new ServiceError('SerializationException', 'The request body is not JSON');
    }
    if (!isObject(body)) throw new ServiceError('SerializationException', 'The request body is not a JSON object');
    const handler = request.method === 'POST' && Object.hasOwn(operations, operation) ? operations[operation] : undefined;
    if (!handler) throw new ServiceError('UnknownOperationException', `The local endpoint does not support ${operation || 'this request'}`);
    send(response, 200, handler(body));
  } catch (error) {
    if (error instanceof ServiceError) {
      send(response, 400, { __type: `com.amazonaws.swf.service.v2.model#${error.type}`, message: error.message });
    } else {
      send(response, 500, { __type: 'com.amazonaws.swf.service.v2.model#InternalFailure', message: 'Internal failure' });
    }
  }
}

function send(response: ServerResponse, status: number, body: JsonObject): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

function requiredString(body: JsonObject, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw new ServiceError('ValidationException', `${field} must be a non-empty string`);
  return value;
}

function optionalString(body: JsonObject, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ServiceError('ValidationException', `${field} must be a string`);
  return value;
}

/** 1–80 characters; no whitespace, brackets, wildcards, specials or control characters (as AWS). */
function isValidExecutionName(name: string): boolean {
  const controls = [...name].some((character) => {
    const code = character.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
  return name.length > 0 && name.length <= 80 && !controls && !INVALID_NAME_CHARACTER.test(name);
}

function positiveInteger(value: Json | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw new RuntimeFailure(`${field} must select a positive integer`);
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function toJson(value: unknown): Json {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

function replaceAll(value: Json, search: string, replacement: string): Json {
  if (typeof value === 'string') return value.replaceAll(search, replacement);
  if (Array.isArray(value)) return value.map((item) => replaceAll(item, search, replacement));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceAll(item, search, replacement)]));
  return value;
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function withoutUndefined(record: Record<string, Json | undefined>): JsonObject {
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, Json] => entry[1] !== undefined));
}
