import { apiHandler } from '../lib/http/api.js';
import { caNotPublished } from '../lib/http/errors.js';
import * as routes from '../lib/http/routes.js';
import { text } from '../lib/http/problem.js';
import { caPublication } from '../lib/root.js';

/** The CA certificate as published (functions/publish-ca.ts): this public route holds no CA key. */
export const getCaCertificate = async () => {
  const pem = await caPublication().loadCaCertificate();
  if (pem === undefined) throw caNotPublished();
  return text(200, pem, 'application/x-pem-file', { 'cache-control': 'public, max-age=3600' });
};
export const handler = apiHandler(routes.caCertificate, getCaCertificate);
