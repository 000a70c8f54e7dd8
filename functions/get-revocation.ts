import { getOwnRevocation, toRevocationView } from '../lib/app/revocations.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import { ROUTES } from '../lib/http/contract.js';
import { json } from '../lib/http/problem.js';
import { revocationDeps } from '../lib/root.js';

const route = ROUTES.getRevocation;

export async function getRevocation({ caller, params }: ApiRequest<typeof route>) {
  return json(200, { revocation: toRevocationView(await getOwnRevocation(revocationDeps(), caller, params.id)) });
}
export const handler = apiHandler(route, getRevocation);
