import middy from '@middy/core';
import { logger } from '../lib/http/logger.js';
import { observability } from '../lib/http/observability.js';
import { certificateAuthority } from '../lib/root.js';

/**
 * The one function that publishes what the CA's public routes serve: run once at deployment (a
 * CDK trigger; the local runtime runs it as it starts) and every few hours on a schedule. It
 * creates the CA on the first run, publishes its certificate, and re-signs the CRL before it goes
 * stale. Every run is idempotent: a CRL still current is left as it is.
 */
export async function publishCa(): Promise<{ published: true }> {
  await certificateAuthority().publish();
  logger.info('CA certificate and CRL published');
  return { published: true };
}
export const handler = middy<unknown, { published: true }>()
  .use(observability())
  .handler(() => publishCa());
