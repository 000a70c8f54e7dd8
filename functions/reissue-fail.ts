import * as z from 'zod/mini';
import { failReissue } from '../lib/app/reissues.js';
import { reissueReads } from '../lib/root.js';
import { taskHandler } from '../lib/task-handler.js';

const FAILURE_CODES: Record<string, string> = {
  VALIDATION_EXPIRED: 'VALIDATION_EXPIRED',
  REJECTED_BY_REVIEWER: 'REJECTED_BY_REVIEWER',
  'States.Timeout': 'REQUEST_EXPIRED',
};

export const handler = taskHandler('reissue-fail', z.object({ reissueId: z.string(), error: z.optional(z.string()) }), async (input) => {
  await failReissue(reissueReads(), input.reissueId, FAILURE_CODES[input.error ?? ''] ?? 'INTERNAL_ERROR');
});
