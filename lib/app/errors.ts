import { RULE_MESSAGES, type RuleCode } from '../domain/codes.js';
import type { Refusal } from '../domain/outcome.js';

/** Base of every error the API shows to a caller; one place maps these to problem+json. */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Extra reply fields (e.g. `originalCertificateId`, `fields`). */
  readonly extra: Record<string, unknown> = {};
}

/** A product rule refused the action (409 with the rule's code). */
export class RuleViolationError extends DomainError {
  readonly status = 409;
  readonly code: RuleCode;
  constructor(refusal: Refusal | RuleCode, detail?: string) {
    const code = typeof refusal === 'string' ? refusal : refusal.code;
    super(detail ?? RULE_MESSAGES[code]);
    this.code = code;
    if (typeof refusal !== 'string' && refusal.details) Object.assign(this.extra, refusal.details);
  }
}

/** A rule about the request's content (400: REASON_REQUIRED, DOMAIN_INVALID, …). */
export class InvalidRequestError extends DomainError {
  readonly status = 400;
  readonly code: string;
  constructor(code: RuleCode | 'BAD_REQUEST', detail: string, fields?: FieldProblem[]) {
    super(detail);
    this.code = code;
    if (fields) this.extra.fields = fields;
  }
}

export interface FieldProblem {
  path: string;
  message: string;
}

/** Missing, or another account's: never reveal which. */
export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly code = 'NOT_FOUND';
  constructor(what = 'resource') {
    super(`The ${what} was not found.`);
  }
}

/** A conditional write lost: someone changed the item since it was read. */
export class VersionConflictError<T> extends Error {
  constructor(readonly current: T | undefined) {
    super('The item changed since it was read.');
  }
}

export class AlreadyExistsError extends Error {
  constructor(readonly key: string) {
    super(`An item with key ${key} already exists.`);
  }
}

/** A conditional write of a multi-item change lost: which part, and what it found. */
export class SubmitConflictError extends Error {
  constructor(
    readonly part: 'certificate' | 'revocation' | 'idempotency' | 'lock',
    readonly index: number,
  ) {
    super(`The ${part} changed since it was read.`);
  }
}

/** A workflow task no longer waits for this token (it ended, timed out, or was never issued). */
export class TaskGoneError extends Error {
  constructor() {
    super('The workflow task no longer waits for a decision.');
  }
}

/** Authenticated, allowed the route, but not this action on this resource (403). */
export class ForbiddenActionError extends DomainError {
  readonly status = 403;
  readonly code = 'FORBIDDEN';
}

export const forbiddenAction = (detail: string) => new ForbiddenActionError(detail);
