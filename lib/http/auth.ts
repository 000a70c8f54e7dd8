import { ROLES, type Caller, type Role } from '../app/model.js';
import { forbidden, unauthenticated } from './errors.js';

export type { Caller, Role };

/**
 * HTTP API JWT authorizers hand claims over as strings: an array claim arrives flattened as
 * `"[customer reviewer]"`. Accept both that and a real array.
 */
export function parseRoles(claim: unknown): Role[] {
  const raw = Array.isArray(claim)
    ? claim.map(String)
    : typeof claim === 'string'
      ? claim.replace(/^\[|\]$/g, '').split(/[\s,]+/)
      : [];
  return ROLES.filter((role) => raw.some((r) => r.replace(/^"|"$/g, '') === role));
}

export function callerFromClaims(claims: Record<string, unknown> | undefined): Caller {
  const sub = claims?.sub;
  const account = claims?.account;
  if (typeof sub !== 'string' || sub === '' || typeof account !== 'string' || account === '') throw unauthenticated();
  return { sub, account, roles: parseRoles(claims?.roles) };
}

export function requireRole(caller: Caller, role: Role): void {
  if (!caller.roles.includes(role)) throw forbidden(`This route needs the ${role} role.`);
}
