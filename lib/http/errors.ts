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
