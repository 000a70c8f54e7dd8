import { randomUUID } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadFunctionHandler } from './functions.js';
import { TaskFaults } from './workflows.js';

const MAX_RECEIVES = 4;
const RETRY_DELAY_MS = 500;

/**
 * The local stand-in for S3 → SQS → processor: every ObjectCreated notification of the intake
 * bucket becomes an SQS message for the same handler; failed messages are redelivered a few
 * times, as SQS would before its dead-letter queue, and then reported.
 */
export function createLetterQueue(options: { intakeBucket: string; log: (line: string) => void }) {
  // Tests may make the processor fail or hang (`process-letter:…`, see TaskFaults).
  const faults = new TaskFaults(process.env.CERTREVOKE_FAULTS);
  let chain = Promise.resolve();
  const deliver = (body: string, receive: number) => {
    chain = chain.then(async () => {
      const handler = await loadFunctionHandler<(e: SQSEvent, c: Context) => Promise<SQSBatchResponse>>('process-letter');
      const messageId = randomUUID();
      const event = { Records: [{ messageId, body, attributes: { ApproximateReceiveCount: String(receive) } }] } as unknown as SQSEvent;
      const result = await faults
        .around('process-letter', () => handler(event, { awsRequestId: messageId, functionName: 'process-letter' } as Context))
        .catch(() => ({ batchItemFailures: [{ itemIdentifier: messageId }] }));
      if (result.batchItemFailures.length === 0) return;
      if (receive >= MAX_RECEIVES) return options.log(`letter event dead-lettered after ${receive} attempts`);
      setTimeout(() => deliver(body, receive + 1), RETRY_DELAY_MS * receive).unref();
    });
  };
  return {
    /** s3rver's `event` listener. */
    onEvent(notification: unknown) {
      const records = (notification as { Records?: { eventName?: string; s3?: { bucket?: { name?: string }; object?: { key?: string } } }[] }).Records ?? [];
      const relevant = records.filter((r) => r.eventName?.startsWith('ObjectCreated:') && r.s3?.bucket?.name === options.intakeBucket && r.s3.object?.key?.startsWith('uploads/'));
      if (relevant.length > 0) deliver(JSON.stringify({ Records: relevant }), 1);
    },
    /** Resolves when every message delivered so far has been handled. */
    idle: () => chain,
  };
}
