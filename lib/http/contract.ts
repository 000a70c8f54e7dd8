import type { z } from 'zod';
import type { Role } from './auth.js';
import {
  CertificatePage,
  CertificateReply,
  HealthReply,
  IdParams,
  ListCertificatesQuery,
  RegisterCertificateBody,
} from '../app/schemas.js';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** `public` routes carry no token; others need it and this role. */
  auth: Role | 'public';
  /** The Lambda entry under functions/ that serves the route. */
  handler: string;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  success: { status: number; json?: z.ZodType; contentType?: string };
  /** Problem codes beyond the ones every route of its kind can answer. */
  errors?: number[];
}

/**
 * The HTTP contract of API.md: CDK routes, the local gateway and the OpenAPI document all read
 * this one table, and each handler validates with the schemas named here.
 */
export const ROUTES = {
  health: {
    method: 'GET',
    path: '/health',
    auth: 'public',
    handler: 'health',
    summary: 'Liveness check',
    success: { status: 200, json: HealthReply },
  },
  openapi: {
    method: 'GET',
    path: '/openapi.json',
    auth: 'public',
    handler: 'get-openapi',
    summary: 'This OpenAPI 3.1 document',
    success: { status: 200, contentType: 'application/json' },
  },
  caCertificate: {
    method: 'GET',
    path: '/ca.pem',
    auth: 'public',
    handler: 'get-ca-certificate',
    summary: 'The CA certificate (PEM)',
    success: { status: 200, contentType: 'application/x-pem-file' },
  },
  registerCertificate: {
    method: 'POST',
    path: '/admin/certificates',
    auth: 'operator',
    handler: 'register-certificate',
    summary: 'Register a platform or uploaded certificate',
    body: RegisterCertificateBody,
    success: { status: 201, json: CertificateReply },
    errors: [400],
  },
  listCertificates: {
    method: 'GET',
    path: '/certificates',
    auth: 'customer',
    handler: 'list-certificates',
    summary: "The caller's account's certificates, newest first",
    query: ListCertificatesQuery,
    success: { status: 200, json: CertificatePage },
    errors: [400],
  },
  getCertificate: {
    method: 'GET',
    path: '/certificates/{id}',
    auth: 'customer',
    handler: 'get-certificate',
    summary: 'One certificate with the actions the rules allow',
    params: IdParams,
    success: { status: 200, json: CertificateReply },
    errors: [404],
  },
  downloadCertificate: {
    method: 'GET',
    path: '/certificates/{id}/download',
    auth: 'customer',
    handler: 'download-certificate',
    summary: 'The PEM chain (leaf, then CA)',
    params: IdParams,
    success: { status: 200, contentType: 'application/x-pem-file' },
    errors: [404, 409],
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;
