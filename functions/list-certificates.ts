import { listCertificates, toCertificateView } from '../lib/app/certificates.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { certificateStore, systemClock } from '../lib/root.js';

const route = routes.listCertificates;

export async function list({ caller, query }: ApiRequest<typeof route>) {
  const page = await listCertificates({ store: certificateStore() }, caller, query);
  const now = systemClock();
  return json(200, { items: page.items.map((c) => toCertificateView(c, now)), nextCursor: page.nextCursor ?? null });
}
export const handler = apiHandler(route, list);
