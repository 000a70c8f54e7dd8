import { randomUUID } from 'node:crypto';
import { apiCall, eventually, registrationBody, type Json } from '../../support/local-runtime.js';

const DAY = 24 * 60 * 60 * 1000;

/** Certificate attributes that pick each revocation route (RULES.md), as the e2e tests use them. */
export const PROFILES = {
  /** GeoTrust DV, manual DNS → domain_validation. */
  domainValidation: {},
  review: { brand: 'WoTrus' },
  letter: { brand: 'DNSPod', algorithm: 'sm2', productType: 'OV', enterprise: { name: 'Acme Ltd' } },
  uploaded: { source: 'uploaded' },
  /** Issued an hour ago: a reissue within 3 days of issuance skips domain validation. */
  recent: { issuedAt: new Date(Date.now() - 60 * 60 * 1000).toISOString() },
} satisfies Record<string, Json>;

/** A registrable domain of its own: the reissue lock is per registrable domain. */
export const uniqueDomain = () => `www.m${randomUUID().replaceAll('-', '').slice(0, 12)}.com`;

/** Resources of one account, made through the API as an operator and the account's customer. */
export class AccountFixtures {
  constructor(
    private readonly url: string,
    readonly account: string,
    private readonly operator: string,
    private readonly customer: string,
    private readonly reviewer: string,
  ) {}

  /** A registration body for this account (platform GeoTrust DV unless overridden). */
  registration(overrides: Json = {}): Json {
    return registrationBody(this.account, { domain: uniqueDomain(), notAfter: new Date(Date.now() + 300 * DAY).toISOString(), ...overrides });
  }

  async certificate(overrides: Json = {}): Promise<Json> {
    const res = await apiCall(this.url, 'POST', '/admin/certificates', this.operator, this.registration(overrides));
    if (res.status !== 201) throw new Error(`register: ${res.status} ${res.text}`);
    return res.body.certificate as Json;
  }

  async revocation(profile: Json, reason = 'no longer needed'): Promise<Json> {
    const cert = await this.certificate(profile);
    const res = await apiCall(this.url, 'POST', `/certificates/${cert.id}/revocations`, this.customer, { reason });
    if (res.status !== 202) throw new Error(`revoke: ${res.status} ${res.text}`);
    return res.body.revocation as Json;
  }

  /** A revocation on the review route, once its workflow waits for the decision (queued). */
  async queuedReview(): Promise<Json> {
    const revocation = await this.revocation(PROFILES.review, 'key leaked');
    await eventually(
      () => apiCall(this.url, 'GET', `/reviews/${revocation.id}`, this.reviewer),
      (r) => r.body.review?.queuedAt !== undefined,
      30_000,
    );
    return revocation;
  }

  /** A reissue with a generated key, issued, its key not yet downloaded. */
  async issuedGeneratedReissue(): Promise<Json> {
    const cert = await this.certificate(PROFILES.recent);
    const res = await apiCall(this.url, 'POST', `/certificates/${cert.id}/reissues`, this.customer, {
      csrMode: 'generate',
      keyAlgorithm: 'ECC',
      keySize: 256,
      domain: cert.domain,
      reason: 'key rotation',
    });
    if (res.status !== 202) throw new Error(`reissue: ${res.status} ${res.text}`);
    const read = () => apiCall(this.url, 'GET', `/reissues/${res.body.reissue.id}`, this.customer).then((r) => r.body.reissue as Json);
    return eventually(read, (r) => r.status === 'issued' && r.privateKeyAvailable === true, 30_000);
  }
}
