import { runSweep } from '../lib/app/sweeps.js';
import { SweepReply } from '../lib/app/schemas.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { sweepDeps } from '../lib/root.js';

const route = routes.runSweep;

/** The sweep on demand (operator). API Gateway waits 30 s at most: a long backlog stops early and says so. */
export async function sweep({ remainingMs }: ApiRequest<typeof route>) {
  const report = await runSweep(sweepDeps(), { remainingMs, reserveMs: 5_000 });
  return json(200, SweepReply.parse(report));
}
export const handler = apiHandler(route, sweep);
