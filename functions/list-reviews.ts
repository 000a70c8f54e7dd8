import { listPendingReviews } from '../lib/app/reviews.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import { ROUTES } from '../lib/http/contract.js';
import { json } from '../lib/http/problem.js';
import { reviewDeps } from '../lib/root.js';

const route = ROUTES.listReviews;

export async function list({ query }: ApiRequest<typeof route>) {
  const page = await listPendingReviews(reviewDeps(), query.limit, query.cursor);
  return json(200, { items: page.items, nextCursor: page.nextCursor ?? null });
}
export const handler = apiHandler(route, list);
