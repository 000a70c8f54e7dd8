import { deleteCertificate } from '../lib/app/certificates.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { certificateStore, systemClock } from '../lib/root.js';

const route = routes.deleteCertificate;

export async function remove({ caller, params }: ApiRequest<typeof route>) {
  await deleteCertificate({ store: certificateStore(), clock: systemClock }, caller, params.id);
  return { statusCode: 204 };
}
export const handler = apiHandler(route, remove);
