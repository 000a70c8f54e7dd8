import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { processLetters } from '../../../functions/process-letter.js';

describe('letter processor batches', () => {
  it('returns every message to the queue untouched when too little Lambda time is left', async () => {
    const event = { Records: [{ messageId: 'm1', body: '{}' }, { messageId: 'm2', body: '{}' }] } as unknown as SQSEvent;
    const result = await processLetters(event, { getRemainingTimeInMillis: () => 5_000 });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
  });

  it('reports a message it cannot parse as a failure of that message only', async () => {
    const event = { Records: [{ messageId: 'bad', body: 'not json' }, { messageId: 'empty', body: '{"Records":[]}' }] } as unknown as SQSEvent;
    const result = await processLetters(event, { getRemainingTimeInMillis: () => 60_000 });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
  });
});
