import * as z from 'zod/mini';
import { awaitReissueReview } from '../lib/app/reissues.js';
import { reissueStepDeps } from '../lib/root.js';
import { taskHandler } from '../lib/task-handler.js';

export const handler = taskHandler('reissue-await-review', z.object({ reissueId: z.string(), taskToken: z.string().check(z.minLength(1)) }), (input) =>
  awaitReissueReview(reissueStepDeps(), input.reissueId, input.taskToken),
);
