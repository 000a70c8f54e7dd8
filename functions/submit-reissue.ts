import { submitReissue } from '../lib/app/reissues.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { reissueSubmitDeps } from '../lib/root.js';

const route = routes.submitReissue;

export async function submit({ caller, params, body }: ApiRequest<typeof route>) {
  const reissue = await submitReissue(reissueSubmitDeps(), caller, params.id, body);
  return json(202, { reissue }, { location: `/reissues/${reissue.id}` });
}
export const handler = apiHandler(route, submit);
