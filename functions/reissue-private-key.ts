import { takePrivateKey } from '../lib/app/reissues.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { text } from '../lib/http/problem.js';
import { reissueKeyDeps } from '../lib/root.js';

const route = routes.reissuePrivateKey;

/** The generated key, once: the reply is the only copy that ever leaves the service. */
export async function privateKey({ caller, params }: ApiRequest<typeof route>) {
  const pem = await takePrivateKey(reissueKeyDeps(), caller, params.id);
  return text(200, pem, 'application/x-pem-file', { 'content-disposition': `attachment; filename="${params.id}.key.pem"`, 'cache-control': 'no-store' });
}
export const handler = apiHandler(route, privateKey);
