import { getOwnRevocation, toRevocationView } from '../lib/app/revocations.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { revocationReads } from '../lib/root.js';

const route = routes.getRevocation;

export async function getRevocation({ caller, params }: ApiRequest<typeof route>) {
  return json(200, { revocation: toRevocationView(await getOwnRevocation(revocationReads(), caller, params.id)) });
}
export const handler = apiHandler(route, getRevocation);
