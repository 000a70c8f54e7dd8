import * as z from 'zod/mini';
import { issueReissue } from '../lib/app/reissues.js';
import { reissueIssueDeps } from '../lib/root.js';
import { taskHandler } from '../lib/task-handler.js';

export const handler = taskHandler('reissue-issue', z.object({ reissueId: z.string() }), (input) => issueReissue(reissueIssueDeps(), input.reissueId));
