import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { loadDefinition, REISSUE_WORKFLOW, REVOCATION_WORKFLOW } from '../workflows/index.js';
import { loadFunctionHandler } from './functions.js';
import { startLocalStepFunctions } from './step-functions.js';

const localFunctionArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

type TaskHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * The same ASL files Step Functions runs in AWS, interpreted locally, each task calling the
 * same handler module its Lambda would run.
 */
export async function startLocalWorkflows(options: { timeScale: number; faults?: string | undefined }) {
  const arns = (tasks: Record<string, string>) => Object.fromEntries(Object.entries(tasks).map(([key, name]) => [key, localFunctionArn(name)]));
  const faults = new TaskFaults(options.faults ?? process.env.CERTREVOKE_FAULTS);
  const engine = await startLocalStepFunctions({
    stateMachines: [
      { name: 'revocation', definition: await loadDefinition(REVOCATION_WORKFLOW.file, arns(REVOCATION_WORKFLOW.tasks)) },
      { name: 'reissue', definition: await loadDefinition(REISSUE_WORKFLOW.file, arns(REISSUE_WORKFLOW.tasks)) },
    ],
    invokeLambda: async (arnOrName, payload) => {
      const name = arnOrName.split(':').pop()!;
      const handler = await loadFunctionHandler<TaskHandler>(name);
      return faults.around(name, () => handler(payload, { awsRequestId: randomUUID(), functionName: name } as Context));
    },
    timeScale: options.timeScale,
  });
  return { ...engine, revocationStateMachineArn: engine.stateMachineArn('revocation'), reissueStateMachineArn: engine.stateMachineArn('reissue') };
}

/**
 * What Lambda raises when the service, not the function, fails (throttled, a sandbox lost): the
 * error name the workflows' Retry lists (and `States.ALL`) match. Its message names the fault so
 * a log line is never mistaken for a real failure.
 */
export class InjectedLambdaFault extends Error {
  override readonly name = 'Lambda.ServiceException';
  constructor(task: string, when: string) {
    super(`fault injected by CERTREVOKE_FAULTS into ${task} (${when})`);
  }
}

type FaultMode = 'before' | 'after' | 'hang' | 'throttled';

interface FaultRule {
  left: number;
  mode: FaultMode;
  /** Held before the first call that runs normally again, so a test can act in between. */
  delayMs: number;
}

/**
 * Test-only fault injection for the local runtime (never read by code that ships to Lambda):
 * `CERTREVOKE_FAULTS` is a comma-separated list of `task:times[:mode[:delayMs]]`, `task` a
 * function name (`revocation-revoke`); for its next `times` invocations:
 * - `before` (default): throw `Lambda.ServiceException` without running the handler, as when
 *   Lambda itself fails;
 * - `after`: run the handler (its effect happens), then throw, as when the reply is lost;
 * - `hang`: never answer, as a stuck invocation (the task's timeout applies);
 * - `throttled`: the function itself fails with `ThrottlingException`, as when a service it
 *   calls throttles it (a transient error the workflows retry).
 * With `delayMs`, the invocation after those waits that long before running normally. Several
 * entries for one task apply one after the other (`revocation-revoke:1,revocation-revoke:1:after`).
 */
export class TaskFaults {
  private readonly rules = new Map<string, FaultRule[]>();

  /** `log` says when a fault fires, so a test can tell it happened (default: stderr, as the runtime logs). */
  constructor(
    spec: string | undefined,
    private readonly log: (line: string) => void = (line) => process.stderr.write(`[certrevoke] ${line}\n`),
  ) {
    for (const entry of (spec ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
      const [task, times, mode = 'before', delay = '0'] = entry.split(':');
      const left = Number(times);
      const delayMs = Number(delay);
      if (!task || !Number.isInteger(left) || left < 0 || !['before', 'after', 'hang', 'throttled'].includes(mode) || !(delayMs >= 0)) {
        throw new Error(`CERTREVOKE_FAULTS: cannot read "${entry}"; expected task:times[:before|after|hang|throttled[:delayMs]]`);
      }
      this.rules.set(task, [...(this.rules.get(task) ?? []), { left, mode: mode as FaultMode, delayMs }]);
    }
  }

  /** Runs one invocation of `task`, with the fault its rules still owe. */
  async around<T>(task: string, run: () => Promise<T>): Promise<T> {
    const queue = this.rules.get(task) ?? [];
    const rule = queue[0];
    if (!rule) return run();
    if (rule.left === 0) {
      queue.shift();
      if (rule.delayMs > 0) {
        this.log(`CERTREVOKE_FAULTS: ${task} held ${rule.delayMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, rule.delayMs));
      }
      return run();
    }
    rule.left -= 1;
    if (rule.left === 0 && rule.delayMs === 0) queue.shift();
    this.log(`CERTREVOKE_FAULTS: ${task} ${rule.mode === 'hang' ? 'hangs' : `fails (${rule.mode})`}`);
    if (rule.mode === 'hang') return new Promise<T>(() => undefined);
    if (rule.mode === 'after') await run();
    if (rule.mode === 'throttled') throw Object.assign(new Error(`fault injected by CERTREVOKE_FAULTS into ${task} (throttled)`), { name: 'ThrottlingException' });
    throw new InjectedLambdaFault(task, rule.mode);
  }
}
