import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { DomainError, type FieldProblem } from '../app/errors.js';
import { callerFromClaims, requireRole, type Caller } from './auth.js';
import type { RouteSpec } from './contract.js';
import { badRequest, HttpError } from './errors.js';
import { loggableError, logger } from './logger.js';
import { observability } from './observability.js';
import { problem } from './problem.js';

export const MAX_BODY_BYTES = 64 * 1024;
/** A problem's message is cut here: a body of 5,000 unknown keys must not come back as a 100 KB reply naming each. */
const MAX_PROBLEM_MESSAGE = 200;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

type Out<S> = S extends z.ZodMiniType ? z.output<S> : undefined;

/** What a handler receives: validated input and, on protected routes, the verified caller. */
export interface ApiRequest<R extends RouteSpec> {
  caller: R['auth'] extends 'public' ? undefined : Caller;
  params: Out<R['params']>;
  query: Out<R['query']>;
  body: Out<R['body']>;
  headers: Record<string, string | undefined>;
  /** The invocation's time left: long work stops cleanly before it runs out. */
  remainingMs: () => number;
}

interface ParsedInput {
  caller: Caller | undefined;
  params: unknown;
  query: unknown;
  body: unknown;
  headers: Record<string, string | undefined>;
}

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer & { parsed?: ParsedInput };
export type ApiResult = APIGatewayProxyStructuredResultV2;
type ApiMiddleware = MiddlewareObj<ApiEvent, ApiResult, Error, Context>;

/**
 * Wraps a route's function in the shared middy stack: the invocation's context on every log
 * line, problem+json errors, the caller from the JWT claims with its role, body limits and
 * content type, and zod validation of every input.
 */
export function apiHandler<R extends RouteSpec>(route: R, fn: (request: ApiRequest<R>) => Promise<ApiResult>) {
  return middy<ApiEvent, ApiResult, Error, Context>()
    .use(observability())
    .use(correlationId())
    .use(problemReplies())
    .use(authorize(route))
    .use(parseInput(route))
    .handler((event, context) => fn({ ...event.parsed, remainingMs: () => context.getRemainingTimeInMillis() } as unknown as ApiRequest<R>));
}

/**
 * API Gateway's request id (the `requestId` of the access log) as the log lines' correlation_id,
 * so a request's access log line and its function's log lines can be joined.
 */
function correlationId(): ApiMiddleware {
  return {
    before: (request) => {
      const requestId = request.event.requestContext?.requestId;
      if (requestId) logger.setCorrelationId(requestId);
    },
  };
}

/** Errors below 500 show their sentence; a 500 shows nothing internal and is logged. */
function problemReplies(): ApiMiddleware {
  return {
    onError: (request) => {
      const error = request.error;
      if (error instanceof DomainError) {
        request.response = problem(error.status, error.code, error.message, error.extra);
        return;
      }
      logger.error('unhandled error', { error: loggableError(error), route: request.event.routeKey });
      request.response = problem(500, 'INTERNAL', 'Something went wrong on our side. Try again later.');
    },
  };
}

function authorize(route: RouteSpec): ApiMiddleware {
  return {
    before: (request) => {
      let caller: Caller | undefined;
      if (route.auth !== 'public') {
        caller = callerFromClaims(request.event.requestContext?.authorizer?.jwt?.claims);
        requireRole(caller, route.auth);
      }
      request.event.parsed = { caller, params: undefined, query: undefined, body: undefined, headers: request.event.headers ?? {} };
    },
  };
}

function parseInput(route: RouteSpec): ApiMiddleware {
  return {
    before: (request) => {
      const event = request.event;
      const parsed = event.parsed!;
      // Every part is checked before replying, so a caller sees all problems at once.
      const problems: FieldProblem[] = [];
      // The limit holds on every route, also those that read no body.
      const bytes = bodyBytes(event);
      if (route.params) parsed.params = validate(route.params, event.pathParameters ?? {}, 'path', problems);
      if (route.query) parsed.query = validate(route.query, event.queryStringParameters ?? {}, 'query', problems);
      if (route.body) parsed.body = validate(route.body, readJsonBody(event, bytes), 'body', problems);
      if (problems.length > 0) {
        throw badRequest(`The request is not valid: ${problems.map((f) => `${f.path} ${f.message}`).join('; ')}.`, problems);
      }
    },
  };
}

function bodyBytes(event: ApiEvent): Buffer {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `The request body is over ${MAX_BODY_BYTES} bytes.`);
  return bytes;
}

function readJsonBody(event: ApiEvent, bytes: Buffer): unknown {
  const contentType = headerValue(event.headers, 'content-type');
  if (bytes.length > 0 && !/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType ?? '')) {
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  }
  if (bytes.length === 0) return {};
  let text: string;
  try {
    // Bytes that are not UTF-8 are refused, never read as U+FFFD: what is stored is what was sent.
    text = strictUtf8.decode(bytes);
  } catch {
    throw badRequest('The request body is not valid UTF-8.', [{ path: '', message: 'invalid UTF-8' }]);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('The request body is not valid JSON.', [{ path: '', message: 'malformed JSON' }]);
  }
}

function validate(schema: z.ZodMiniType, value: unknown, where: 'path' | 'query' | 'body', problems: FieldProblem[]): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) problems.push({ path: [where, ...issue.path.map(String)].join('.'), message: clip(issue.message) });
  return undefined;
}

function clip(message: string): string {
  // By code point, so a cut never leaves half a surrogate pair.
  return message.length <= MAX_PROBLEM_MESSAGE ? message : `${Array.from(message).slice(0, MAX_PROBLEM_MESSAGE - 1).join('')}…`;
}

function headerValue(headers: Record<string, string | undefined> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key ? headers[key] : undefined;
}
