import middy from '@middy/core';
import type { Context, S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processUpload } from '../lib/app/letters.js';
import { logger } from '../lib/http/logger.js';
import { observability } from '../lib/http/observability.js';
import { letterProcessingDeps } from '../lib/root.js';

/** A hostile PDF may take a worker start plus its 3 s budget: leave room for one more. */
const RESERVE_MS = 15_000;

/**
 * S3 ObjectCreated → SQS → here. Each message is handled on its own: a failure is returned as a
 * batch item failure so only it is retried (then dead-lettered), never the whole batch. When
 * the invocation's time runs low, the rest go back to the queue untouched instead of timing out.
 */
export async function processLetters(event: SQSEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const message of event.Records) {
    if (context?.getRemainingTimeInMillis && context.getRemainingTimeInMillis() < RESERVE_MS) {
      failures.push({ itemIdentifier: message.messageId });
      continue;
    }
    try {
      const notification = JSON.parse(message.body) as Partial<S3Event>;
      for (const record of notification.Records ?? []) {
        const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
        if (!key.startsWith('uploads/')) continue;
        const outcome = await processUpload(letterProcessingDeps(), key, { sequencer: record.s3.object.sequencer });
        logger.info('letter upload processed', { key, outcome });
      }
    } catch (error) {
      logger.error('letter upload failed; it will be retried', { messageId: message.messageId, error: (error as Error).name });
      failures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures: failures };
}
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(observability())
  .handler((event, context) => processLetters(event, context));
