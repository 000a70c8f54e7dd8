import { getOwnReissue, toReissueView } from '../lib/app/reissues.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { reissueStore } from '../lib/root.js';

const route = routes.getReissue;

export async function get({ caller, params }: ApiRequest<typeof route>) {
  return json(200, { reissue: toReissueView(await getOwnReissue({ reissues: reissueStore() }, caller, params.id)) });
}
export const handler = apiHandler(route, get);
