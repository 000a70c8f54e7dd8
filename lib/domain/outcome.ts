import type { RuleCode } from './codes.js';

/** A rule's verdict: a value, never an exception, so the API and `certificate.actions` share it. */
export type Verdict<T extends object = object> = ({ ok: true } & T) | Refusal;

export interface Refusal {
  ok: false;
  code: RuleCode;
  /** Extra fields the reply carries (e.g. `originalCertificateId`). */
  details?: Record<string, string>;
}

export function refuse(code: RuleCode, details?: Record<string, string>): Refusal {
  return details ? { ok: false, code, details } : { ok: false, code };
}
