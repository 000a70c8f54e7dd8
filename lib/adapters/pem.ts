import { X509Certificate } from 'node:crypto';
import type { PemFacts } from '../app/certificates.js';

/** Serial and validity of a PEM certificate, via Node's own X.509 parser. */
export function inspectPem(pem: string): PemFacts {
  const cert = new X509Certificate(pem);
  return {
    serialNumber: cert.serialNumber.toUpperCase(),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
  };
}
