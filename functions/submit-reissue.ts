import { submitReissue } from '../lib/app/reissues.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import { ROUTES } from '../lib/http/contract.js';
import { json } from '../lib/http/problem.js';
import { reissueDeps } from '../lib/root.js';

const route = ROUTES.submitReissue;

export async function submit({ caller, params, body }: ApiRequest<typeof route>) {
  const reissue = await submitReissue(reissueDeps(), caller, params.id, body);
  return json(202, { reissue }, { location: `/reissues/${reissue.id}` });
}
export const handler = apiHandler(route, submit);
