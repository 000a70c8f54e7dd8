import { registerCertificate, toCertificateView } from '../lib/app/certificates.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { certificateDeps, systemClock } from '../lib/root.js';

const route = routes.registerCertificate;

export async function register({ caller, body }: ApiRequest<typeof route>) {
  const certificate = await registerCertificate(certificateDeps(), caller, body);
  return json(201, { certificate: toCertificateView(certificate, systemClock()) }, { location: `/certificates/${certificate.id}` });
}
export const handler = apiHandler(route, register);
