import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { parseOrThrow } from '../lib/app/parse.js';
import { logger } from '../lib/http/logger.js';
import { observability } from '../lib/http/observability.js';
import { accessTokenClaims, ACCOUNT_ATTRIBUTE } from '../lib/http/token-claims.js';

/**
 * The part of Cognito's Pre Token Generation event (V2_0) this trigger reads; everything else is
 * passed back untouched, as Cognito expects the event itself as the reply.
 */
const PreTokenGenerationEvent = z.looseObject({
  triggerSource: z.string(),
  userName: z.string(),
  request: z.looseObject({
    userAttributes: z.record(z.string(), z.string()),
    // A user in no group may come as an empty list or as null: either is no role.
    groupConfiguration: z.nullish(z.looseObject({ groupsToOverride: z.nullish(z.array(z.string())) })),
  }),
});
type PreTokenGenerationEvent = z.output<typeof PreTokenGenerationEvent>;

/**
 * Adds the API's `account` and `roles` claims to the access token (lib/http/token-claims.ts);
 * the user pool calls it with event version V2_0 before it issues or refreshes tokens. A user
 * without an account still signs in, but the API answers 401 to their token.
 */
export function preTokenGeneration(raw: unknown) {
  const event: PreTokenGenerationEvent = parseOrThrow(PreTokenGenerationEvent, raw);
  const claimsAndScopeOverrideDetails = accessTokenClaims({
    userAttributes: event.request.userAttributes,
    groups: event.request.groupConfiguration?.groupsToOverride ?? undefined,
  });
  if (claimsAndScopeOverrideDetails.accessTokenGeneration.claimsToAddOrOverride.account === undefined) {
    logger.warn(`the user has no ${ACCOUNT_ATTRIBUTE}: their access token names no account`, { userName: event.userName, triggerSource: event.triggerSource });
  }
  return { ...event, response: { claimsAndScopeOverrideDetails } };
}

export const handler = middy<unknown, ReturnType<typeof preTokenGeneration>, Error, Context>()
  .use(observability())
  .handler(async (event) => preTokenGeneration(event));
