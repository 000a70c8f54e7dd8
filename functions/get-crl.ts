import { apiHandler } from '../lib/http/api.js';
import { caNotPublished } from '../lib/http/errors.js';
import * as routes from '../lib/http/routes.js';
import { caPublication } from '../lib/root.js';

/**
 * The CA's current CRL as stored, DER (API Gateway decodes the base64 body back to bytes). A
 * revocation stores the CRL that lists it; functions/publish-ca.ts re-signs it before it goes
 * stale. This public route only reads: it holds no CA key.
 */
export const getCrl = async () => {
  const crl = await caPublication().loadCrl();
  if (crl === undefined) throw caNotPublished();
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/pkix-crl', 'cache-control': 'public, max-age=60' },
    body: Buffer.from(crl.der).toString('base64'),
    isBase64Encoded: true,
  };
};
export const handler = apiHandler(routes.crl, getCrl);
