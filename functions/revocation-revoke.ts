import * as z from 'zod';
import { completeRevocation } from '../lib/app/revocation-steps.js';
import { stepDeps } from '../lib/root.js';
import { taskHandler } from '../lib/task-handler.js';

export const handler = taskHandler('revocation-revoke', z.object({ revocationId: z.string() }), (input) =>
  completeRevocation(stepDeps(), input.revocationId),
);
