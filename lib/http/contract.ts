import type * as z from 'zod/mini';
import type { Role } from './auth.js';
import * as routes from './routes.js';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** `public` routes carry no token; others need it and this role. */
  auth: Role | 'public';
  /** The Lambda entry under functions/ that serves the route. */
  handler: string;
  summary: string;
  params?: z.ZodMiniType;
  query?: z.ZodMiniType;
  body?: z.ZodMiniType;
  success: { status: number; json?: z.ZodMiniType; contentType?: string };
  /** Problem codes beyond the ones every route of its kind can answer. */
  errors?: number[];
}

/**
 * The HTTP contract of API.md: CDK routes, the local gateway and the OpenAPI document all read
 * this one table (lib/http/routes.ts), and each handler validates with the schemas named there.
 */
// Listed, not spread from the module: the table keeps API.md's order (a module namespace sorts).
export const ROUTES = {
  health: routes.health,
  openapi: routes.openapi,
  caCertificate: routes.caCertificate,
  registerCertificate: routes.registerCertificate,
  runSweep: routes.runSweep,
  listCertificates: routes.listCertificates,
  getCertificate: routes.getCertificate,
  downloadCertificate: routes.downloadCertificate,
  deleteCertificate: routes.deleteCertificate,
  certificateEvents: routes.certificateEvents,
  submitRevocation: routes.submitRevocation,
  getRevocation: routes.getRevocation,
  checkValidation: routes.checkValidation,
  letterTemplate: routes.letterTemplate,
  letterUpload: routes.letterUpload,
  listReviews: routes.listReviews,
  getReview: routes.getReview,
  decideReview: routes.decideReview,
  submitReissue: routes.submitReissue,
  getReissue: routes.getReissue,
  reissuePrivateKey: routes.reissuePrivateKey,
  crl: routes.crl,
} satisfies Record<keyof typeof routes, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
