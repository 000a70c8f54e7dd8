import * as z from 'zod/mini';
import { checkValidation } from '../lib/app/revocation-steps.js';
import { validationStepDeps } from '../lib/root.js';
import { taskHandler } from '../lib/task-handler.js';

export const handler = taskHandler('revocation-check-validation', z.object({ revocationId: z.string() }), (input) =>
  checkValidation(validationStepDeps(), input.revocationId),
);
