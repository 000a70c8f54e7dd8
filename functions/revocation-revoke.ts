import * as z from 'zod/mini';
import { completeRevocation } from '../lib/app/revocation-steps.js';
import { revokeStepDeps } from '../lib/root.js';
import { taskHandler } from '../lib/task-handler.js';

export const handler = taskHandler('revocation-revoke', z.object({ revocationId: z.string() }), (input) =>
  completeRevocation(revokeStepDeps(), input.revocationId),
);
