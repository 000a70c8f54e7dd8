import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { runSweep, type SweepReport } from '../lib/app/sweeps.js';
import { sweepDeps } from '../lib/root.js';

/** The hourly sweep (EventBridge schedule); a backlog it cannot finish in time is carried on by the next run. */
export const handler = middy<unknown, SweepReport>().handler((_event, context: Context) =>
  runSweep(sweepDeps(), { remainingMs: () => context.getRemainingTimeInMillis(), reserveMs: 30_000 }),
);
