import type { RouteSpec } from './contract.js';
import {
  CertificatePage,
  CertificateReply,
  EventsReply,
  HealthReply,
  IdParams,
  ListCertificatesQuery,
  RegisterCertificateBody,
  ReviewDecisionBody,
  ReviewPage,
  ReviewReply,
  ReviewsQuery,
  RevocationReply,
  SubmitRevocationBody,
  UploadSlotReply,
  ReissueReply,
  SubmitReissueBody,
  SweepReply,
} from '../app/schemas.js';

/**
 * The routes of API.md, one export each: a handler imports its own (`import * as routes`, then
 * `routes.getCertificate`), so its bundle builds the schemas of its route and of no other.
 * `ROUTES` (contract.ts) is the whole table, for CDK, the local gateway and the OpenAPI document.
 */

export const health = {
  method: 'GET',
  path: '/health',
  auth: 'public',
  handler: 'health',
  summary: 'Liveness check',
  success: { status: 200, json: HealthReply },
} as const satisfies RouteSpec;

export const openapi = {
  method: 'GET',
  path: '/openapi.json',
  auth: 'public',
  handler: 'get-openapi',
  summary: 'This OpenAPI 3.1 document',
  success: { status: 200, contentType: 'application/json' },
} as const satisfies RouteSpec;

export const caCertificate = {
  method: 'GET',
  path: '/ca.pem',
  auth: 'public',
  handler: 'get-ca-certificate',
  summary: 'The CA certificate (PEM)',
  success: { status: 200, contentType: 'application/x-pem-file' },
  // Before the CA is published (CaPublisher, at deployment).
  errors: [503],
} as const satisfies RouteSpec;

export const registerCertificate = {
  method: 'POST',
  path: '/admin/certificates',
  auth: 'operator',
  handler: 'register-certificate',
  summary: 'Register a platform or uploaded certificate',
  body: RegisterCertificateBody,
  success: { status: 201, json: CertificateReply },
  errors: [400],
} as const satisfies RouteSpec;

export const runSweep = {
  method: 'POST',
  path: '/admin/sweeps',
  auth: 'operator',
  handler: 'run-sweep',
  summary: 'Run the expiry sweep now (it also runs hourly); counts per effect',
  success: { status: 200, json: SweepReply },
} as const satisfies RouteSpec;

export const listCertificates = {
  method: 'GET',
  path: '/certificates',
  auth: 'customer',
  handler: 'list-certificates',
  summary: "The caller's account's certificates, newest first",
  query: ListCertificatesQuery,
  success: { status: 200, json: CertificatePage },
  errors: [400],
} as const satisfies RouteSpec;

export const getCertificate = {
  method: 'GET',
  path: '/certificates/{id}',
  auth: 'customer',
  handler: 'get-certificate',
  summary: 'One certificate with the actions the rules allow',
  params: IdParams,
  success: { status: 200, json: CertificateReply },
  errors: [404],
} as const satisfies RouteSpec;

export const downloadCertificate = {
  method: 'GET',
  path: '/certificates/{id}/download',
  auth: 'customer',
  handler: 'download-certificate',
  summary: 'The PEM chain (leaf, then CA)',
  params: IdParams,
  success: { status: 200, contentType: 'application/x-pem-file' },
  errors: [404, 409],
} as const satisfies RouteSpec;

export const deleteCertificate = {
  method: 'DELETE',
  path: '/certificates/{id}',
  auth: 'customer',
  handler: 'delete-certificate',
  summary: 'Delete a revoked, expired or uploaded certificate (its history is kept)',
  params: IdParams,
  success: { status: 204 },
  errors: [404, 409],
} as const satisfies RouteSpec;

export const certificateEvents = {
  method: 'GET',
  path: '/certificates/{id}/events',
  auth: 'customer',
  handler: 'certificate-events',
  summary: 'Audit history of a certificate, oldest first',
  params: IdParams,
  success: { status: 200, json: EventsReply },
  errors: [404],
} as const satisfies RouteSpec;

export const submitRevocation = {
  method: 'POST',
  path: '/certificates/{id}/revocations',
  auth: 'customer',
  handler: 'submit-revocation',
  summary: 'Submit a revocation (final: there is no cancel). Optional Idempotency-Key header.',
  params: IdParams,
  body: SubmitRevocationBody,
  success: { status: 202, json: RevocationReply },
  errors: [404, 409],
} as const satisfies RouteSpec;

export const getRevocation = {
  method: 'GET',
  path: '/revocations/{id}',
  auth: 'customer',
  handler: 'get-revocation',
  summary: 'A revocation request',
  params: IdParams,
  success: { status: 200, json: RevocationReply },
  errors: [404],
} as const satisfies RouteSpec;

export const checkValidation = {
  method: 'POST',
  path: '/revocations/{id}/validation/check',
  auth: 'customer',
  handler: 'check-validation',
  summary: 'Check the DNS record / file of a domain validation now',
  params: IdParams,
  success: { status: 202, json: RevocationReply },
  errors: [404, 409],
} as const satisfies RouteSpec;

export const letterTemplate = {
  method: 'GET',
  path: '/revocations/{id}/letter-template',
  auth: 'customer',
  handler: 'letter-template',
  summary: 'The pre-filled letter to print, sign, stamp and scan (PDF)',
  params: IdParams,
  success: { status: 200, contentType: 'application/pdf' },
  errors: [404, 409],
} as const satisfies RouteSpec;

export const letterUpload = {
  method: 'POST',
  path: '/revocations/{id}/letter-upload',
  auth: 'customer',
  handler: 'letter-upload',
  summary: 'A presigned S3 POST for the one letter upload (15 minutes; a new slot closes the last)',
  params: IdParams,
  success: { status: 201, json: UploadSlotReply },
  errors: [404, 409],
} as const satisfies RouteSpec;

export const listReviews = {
  method: 'GET',
  path: '/reviews',
  auth: 'reviewer',
  handler: 'list-reviews',
  summary: 'Requests waiting for a reviewer, oldest first',
  query: ReviewsQuery,
  success: { status: 200, json: ReviewPage },
  errors: [400],
} as const satisfies RouteSpec;

export const getReview = {
  method: 'GET',
  path: '/reviews/{id}',
  auth: 'reviewer',
  handler: 'get-review',
  summary: 'A request with its certificate',
  params: IdParams,
  success: { status: 200, json: ReviewReply },
  errors: [404],
} as const satisfies RouteSpec;

export const decideReview = {
  method: 'POST',
  path: '/reviews/{id}/decision',
  auth: 'reviewer',
  handler: 'decide-review',
  summary: 'Approve or reject (a note is required to reject)',
  params: IdParams,
  body: ReviewDecisionBody,
  success: { status: 200, json: ReviewReply },
  errors: [404, 409],
} as const satisfies RouteSpec;

export const submitReissue = {
  method: 'POST',
  path: '/certificates/{id}/reissues',
  auth: 'customer',
  handler: 'submit-reissue',
  summary: 'Reissue a certificate (CSR original, generate or paste)',
  params: IdParams,
  body: SubmitReissueBody,
  success: { status: 202, json: ReissueReply },
  errors: [404, 409],
} as const satisfies RouteSpec;

export const getReissue = {
  method: 'GET',
  path: '/reissues/{id}',
  auth: 'customer',
  handler: 'get-reissue',
  summary: 'A reissue request (with newCertificateId once issued)',
  params: IdParams,
  success: { status: 200, json: ReissueReply },
  errors: [404],
} as const satisfies RouteSpec;

export const reissuePrivateKey = {
  method: 'GET',
  path: '/reissues/{id}/private-key',
  auth: 'customer',
  handler: 'reissue-private-key',
  summary: 'The generated private key (PEM), offered once; then 410',
  params: IdParams,
  success: { status: 200, contentType: 'application/x-pem-file' },
  errors: [404, 409, 410],
} as const satisfies RouteSpec;

export const crl = {
  method: 'GET',
  path: '/crl',
  auth: 'public',
  handler: 'get-crl',
  summary: 'The CA-signed certificate revocation list (DER)',
  success: { status: 200, contentType: 'application/pkix-crl' },
  // Before the CA is published (CaPublisher, at deployment).
  errors: [503],
} as const satisfies RouteSpec;
