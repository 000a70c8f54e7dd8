import * as z from 'zod/mini';
import { checkReissueValidation } from '../lib/app/reissues.js';
import { reissueStepDeps } from '../lib/root.js';
import { taskHandler } from '../lib/task-handler.js';

export const handler = taskHandler('reissue-check-validation', z.object({ reissueId: z.string() }), (input) => checkReissueValidation(reissueStepDeps(), input.reissueId));
