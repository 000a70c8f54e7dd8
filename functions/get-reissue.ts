import { getOwnReissue, toReissueView } from '../lib/app/reissues.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import { ROUTES } from '../lib/http/contract.js';
import { json } from '../lib/http/problem.js';
import { reissueStore } from '../lib/root.js';

const route = ROUTES.getReissue;

export async function get({ caller, params }: ApiRequest<typeof route>) {
  return json(200, { reissue: toReissueView(await getOwnReissue({ reissues: reissueStore() }, caller, params.id)) });
}
export const handler = apiHandler(route, get);
