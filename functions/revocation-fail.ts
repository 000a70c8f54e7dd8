import * as z from 'zod/mini';
import { failRevocation } from '../lib/app/revocation-steps.js';
import { revocationReads } from '../lib/root.js';
import { taskHandler } from '../lib/task-handler.js';

/** Workflow errors that are a product outcome keep their code; a timeout or fault is named for what it was. */
const FAILURE_CODES: Record<string, string> = {
  VALIDATION_EXPIRED: 'VALIDATION_EXPIRED',
  REJECTED_BY_REVIEWER: 'REJECTED_BY_REVIEWER',
  'States.Timeout': 'REQUEST_EXPIRED',
};

export const handler = taskHandler('revocation-fail', z.object({ revocationId: z.string(), error: z.optional(z.string()) }), (input) =>
  failRevocation(revocationReads(), input.revocationId, FAILURE_CODES[input.error ?? ''] ?? 'INTERNAL_ERROR'),
);
