import { DomainError, type FieldProblem } from '../app/errors.js';

/** Errors of the HTTP layer itself; the same mapper turns them into problem+json. */
export class HttpError extends DomainError {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    fields?: FieldProblem[],
  ) {
    super(detail);
    if (fields) this.extra.fields = fields;
  }
}

export const unauthenticated = (detail = 'A valid bearer token is required.') => new HttpError(401, 'UNAUTHENTICATED', detail);
export const forbidden = (detail = 'Your role does not allow this route.') => new HttpError(403, 'FORBIDDEN', detail);
export const badRequest = (detail: string, fields?: FieldProblem[]) => new HttpError(400, 'BAD_REQUEST', detail, fields);
/** The public CA routes before functions/publish-ca.ts has run (at deployment, or the local runtime's start). */
export const caNotPublished = () =>
  new HttpError(503, 'SERVICE_UNAVAILABLE', 'The CA has not been published yet: that happens when the service is deployed or started. Try again in a minute.');
