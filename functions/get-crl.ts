import { apiHandler } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { revocationAuthority } from '../lib/root.js';

/** The CA's current CRL, DER: API Gateway decodes the base64 body back to bytes. */
export const getCrl = async () => {
  const der = await revocationAuthority().currentCrl();
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/pkix-crl', 'cache-control': 'public, max-age=60' },
    body: Buffer.from(der).toString('base64'),
    isBase64Encoded: true,
  };
};
export const handler = apiHandler(routes.crl, getCrl);
