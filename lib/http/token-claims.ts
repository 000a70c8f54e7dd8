import { ROLES, type Role } from '../app/model.js';

/**
 * The user pool attribute that names a user's account (tenant). Immutable in the pool: it is set
 * when an administrator creates the user and no one, the user included, can change it afterwards.
 */
export const ACCOUNT_ATTRIBUTE = 'custom:account';

/** What Cognito's Pre Token Generation trigger (event version V2_0) says about the user signing in. */
export interface TokenSubject {
  /** The user's attributes, as Cognito sends them (`custom:account`, `email`, …). */
  userAttributes: Readonly<Record<string, string>>;
  /** The user's groups in the user pool; absent when the user is in none. */
  groups?: readonly string[] | undefined;
}

/**
 * The claims lib/http/auth.ts reads (`callerFromClaims`), as they go into the access token: `account`
 * only when the user has one, `roles` only when the user is in at least one role group.
 */
export interface ApiClaims {
  account?: string;
  roles?: Role[];
}

/**
 * The API's claims for a user, from the user pool alone:
 * - `account` is the `custom:account` attribute, exactly. A user without one, or with a blank or
 *   padded one, gets no `account` claim, so every authorized route answers 401: the token proves
 *   who the user is but names no tenant, and no tenant is guessed.
 * - `roles` are the user's groups that are roles (`customer`, `reviewer`, `operator`, in that
 *   order), matched exactly. Any other group is ignored, and nothing else can add a role: a user
 *   is never given a role whose group they are not in.
 */
export function apiClaimsFor(subject: TokenSubject): ApiClaims {
  const claims: ApiClaims = {};
  const account = subject.userAttributes[ACCOUNT_ATTRIBUTE];
  if (typeof account === 'string' && account !== '' && account.trim() === account) claims.account = account;
  const groups = new Set(subject.groups ?? []);
  const roles = ROLES.filter((role) => groups.has(role));
  if (roles.length > 0) claims.roles = roles;
  return claims;
}

/**
 * The Pre Token Generation V2_0 response: the API's claims added to the ACCESS token, which is
 * the token the HTTP API accepts (it carries the `scope` an ID token lacks). The ID token is left
 * as Cognito makes it. V2_0 accepts arrays as claim values; the HTTP API's JWT authorizer hands
 * `roles` to handlers flattened as `"[customer reviewer]"`, which parseRoles reads.
 */
export function accessTokenClaims(subject: TokenSubject): { accessTokenGeneration: { claimsToAddOrOverride: ApiClaims } } {
  return { accessTokenGeneration: { claimsToAddOrOverride: apiClaimsFor(subject) } };
}
