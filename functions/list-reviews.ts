import { listPendingReviews } from '../lib/app/reviews.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { reviewReadDeps } from '../lib/root.js';

const route = routes.listReviews;

export async function list({ query }: ApiRequest<typeof route>) {
  const page = await listPendingReviews(reviewReadDeps(), query.limit, query.cursor);
  return json(200, { items: page.items, nextCursor: page.nextCursor ?? null });
}
export const handler = apiHandler(route, list);
