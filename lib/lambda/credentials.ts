import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * What the function bundles get instead of `@aws-sdk/credential-provider-node` (an esbuild
 * alias; see infra/constructs/function.ts). Lambda hands its execution role's credentials to
 * the function in environment variables, so the rest of the default chain (profiles, SSO, web
 * identity, container and instance metadata, and the STS and SSO clients they bring, about
 * 100 KB) can never be the one that answers there. Never used outside Lambda bundles.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
