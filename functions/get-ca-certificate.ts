import { apiHandler } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { text } from '../lib/http/problem.js';
import { certificateAuthority } from '../lib/root.js';

export const getCaCertificate = async () =>
  text(200, await certificateAuthority().caCertificatePem(), 'application/x-pem-file', { 'cache-control': 'public, max-age=3600' });
export const handler = apiHandler(routes.caCertificate, getCaCertificate);
