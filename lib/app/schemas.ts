/**
 * Schemas the handlers validate with and the OpenAPI document is generated from, one module per
 * resource so that a function builds only the schemas it can reach (the package is side-effect
 * free: a bundler leaves out the modules nothing uses). Written with zod/mini (functions and
 * `.check(...)` instead of methods): classic zod would add ~65 KB and its construction time to
 * every function that validates.
 */
export { EnterpriseSchema, HealthReply, IdParams, ProblemSchema } from './schemas/common.js';
export * from './schemas/certificates.js';
export * from './schemas/revocations.js';
export * from './schemas/reissues.js';
export * from './schemas/reviews.js';
export * from './schemas/sweeps.js';
