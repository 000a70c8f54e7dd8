import { checkValidation } from '../lib/app/revocation-steps.js';
import { getOwnRevocation, toRevocationView } from '../lib/app/revocations.js';
import { RuleViolationError } from '../lib/app/errors.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { revocationReads, validationStepDeps } from '../lib/root.js';

const route = routes.checkValidation;

/** Checks now instead of waiting for the workflow's next check; the workflow picks the result up. */
export async function check({ caller, params }: ApiRequest<typeof route>) {
  const revocation = await getOwnRevocation(revocationReads(), caller, params.id);
  if (revocation.status !== 'pending_validation') throw new RuleViolationError('WRONG_STATE', `The request is ${revocation.status}, not waiting for domain validation.`);
  await checkValidation(validationStepDeps(), revocation.id);
  return json(202, { revocation: toRevocationView((await getOwnRevocation(revocationReads(), caller, params.id))) });
}
export const handler = apiHandler(route, check);
