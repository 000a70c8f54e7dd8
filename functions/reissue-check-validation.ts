import * as z from 'zod';
import { checkReissueValidation } from '../lib/app/reissues.js';
import { reissueDeps } from '../lib/root.js';
import { taskHandler } from '../lib/task-handler.js';

export const handler = taskHandler('reissue-check-validation', z.object({ reissueId: z.string() }), (input) => checkReissueValidation(reissueDeps(), input.reissueId));
