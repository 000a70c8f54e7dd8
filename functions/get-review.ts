import { getReview } from '../lib/app/reviews.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import { ROUTES } from '../lib/http/contract.js';
import { json } from '../lib/http/problem.js';
import { reviewDeps } from '../lib/root.js';

const route = ROUTES.getReview;

export async function get({ params }: ApiRequest<typeof route>) {
  return json(200, { review: await getReview(reviewDeps(), params.id) });
}
export const handler = apiHandler(route, get);
