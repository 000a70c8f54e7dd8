import { getOwnCertificate, toCertificateView } from '../lib/app/certificates.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { certificateStore, systemClock } from '../lib/root.js';

const route = routes.getCertificate;

export async function getCertificate({ caller, params }: ApiRequest<typeof route>) {
  const certificate = await getOwnCertificate({ store: certificateStore() }, caller, params.id);
  return json(200, { certificate: toCertificateView(certificate, systemClock()) });
}
export const handler = apiHandler(route, getCertificate);
