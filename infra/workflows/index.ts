import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The revocation workflow's ASL and the task function behind each `${...}` substitution. */
export const REVOCATION_WORKFLOW = {
  file: fileURLToPath(new URL('./revocation.asl.json', import.meta.url)),
  tasks: {
    AwaitCallbackFunctionArn: 'revocation-await-callback',
    CheckValidationFunctionArn: 'revocation-check-validation',
    RevokeFunctionArn: 'revocation-revoke',
    FailFunctionArn: 'revocation-fail',
  },
} as const;

/** The reissue workflow's ASL and its task functions. */
export const REISSUE_WORKFLOW = {
  file: fileURLToPath(new URL('./reissue.asl.json', import.meta.url)),
  tasks: {
    CheckValidationFunctionArn: 'reissue-check-validation',
    AwaitReviewFunctionArn: 'reissue-await-review',
    IssueFunctionArn: 'reissue-issue',
    FailFunctionArn: 'reissue-fail',
  },
} as const;

/**
 * Errors of the AWS services a task calls that a later attempt may not meet (throttling, a
 * transient server error, a transaction conflict, a timeout): every task that may meet them
 * retries on them with backoff and jitter. A task's own outcomes (a rejection, an expired
 * request) are not among them, so they still end the request.
 */
export const TRANSIENT_TASK_ERRORS = [
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TimeoutError',
] as const;

/** The ASL text with each `${Name}` replaced, as Step Functions' definitionSubstitutions does. */
export async function loadDefinition(file: string, substitutions: Record<string, string>): Promise<string> {
  const text = await readFile(file, 'utf8');
  return text.replace(/\$\{(\w+)\}/g, (match, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`No substitution for ${match} in ${file}`);
    return value;
  });
}
