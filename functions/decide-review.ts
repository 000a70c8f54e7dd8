import { decideReview } from '../lib/app/reviews.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { reviewDeps } from '../lib/root.js';

const route = routes.decideReview;

export async function decide({ caller, params, body }: ApiRequest<typeof route>) {
  return json(200, { review: await decideReview(reviewDeps(), caller, params.id, body) });
}
export const handler = apiHandler(route, decide);
