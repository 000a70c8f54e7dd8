import { getReview } from '../lib/app/reviews.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { reviewLinkDeps } from '../lib/root.js';

const route = routes.getReview;

export async function get({ params }: ApiRequest<typeof route>) {
  return json(200, { review: await getReview(reviewLinkDeps(), params.id) });
}
export const handler = apiHandler(route, get);
