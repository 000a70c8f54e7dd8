import { deleteCertificate } from '../lib/app/certificates.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import { ROUTES } from '../lib/http/contract.js';
import { certificateStore, systemClock } from '../lib/root.js';

const route = ROUTES.deleteCertificate;

export async function remove({ caller, params }: ApiRequest<typeof route>) {
  await deleteCertificate({ store: certificateStore(), clock: systemClock }, caller, params.id);
  return { statusCode: 204 };
}
export const handler = apiHandler(route, remove);
