import * as z from 'zod/mini';
import { ROUTES, type RouteSpec } from './contract.js';
import { ProblemSchema } from '../app/schemas.js';

const PROBLEM_STATUSES_BY_AUTH = [401, 403];

/** The OpenAPI 3.1 document, generated from the contract table and its zod schemas. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, route] of Object.entries(ROUTES) as [string, RouteSpec][]) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(name, route);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'certrevoke', version: '0.1.0', description: 'Certificate revocation, reissue, deletion and expiry sweeps.' },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Problem: z.toJSONSchema(ProblemSchema) },
    },
  };
}

function operation(name: string, route: RouteSpec) {
  const errorStatuses = [...(route.body ? [400, 413, 415] : []), ...(route.auth === 'public' ? [] : PROBLEM_STATUSES_BY_AUTH), ...(route.errors ?? []), 500];
  const responses: Record<string, unknown> = {
    [route.success.status]: {
      description: 'Success',
      content: route.success.json
        ? { 'application/json': { schema: schemaOf(route.success.json, 'output') } }
        : { [route.success.contentType ?? 'application/octet-stream']: {} },
    },
  };
  for (const status of [...new Set(errorStatuses)].sort()) {
    responses[status] = { description: 'Problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  }
  return {
    operationId: name,
    summary: route.summary,
    'x-required-role': route.auth,
    ...(route.auth === 'public' ? { security: [] } : { security: [{ bearer: [] }] }),
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } } : {}),
    responses,
  };
}

function parameters(schema: z.ZodMiniType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

function schemaOf(schema: z.ZodMiniType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
