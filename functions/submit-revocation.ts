import { submitRevocation } from '../lib/app/revocations.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { badRequest } from '../lib/http/errors.js';
import { json } from '../lib/http/problem.js';
import { revocationDeps } from '../lib/root.js';

const route = routes.submitRevocation;
const IDEMPOTENCY_KEY = /^[\w.:-]{1,128}$/;

export async function submit({ caller, params, body, headers }: ApiRequest<typeof route>) {
  const key = headers['idempotency-key'];
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw badRequest('Idempotency-Key must be 1–128 letters, digits or . _ : -', [{ path: 'header.idempotency-key', message: 'invalid' }]);
  }
  const revocation = await submitRevocation(revocationDeps(), caller, params.id, body, key);
  return json(202, { revocation }, { location: `/revocations/${revocation.id}` });
}
export const handler = apiHandler(route, submit);
