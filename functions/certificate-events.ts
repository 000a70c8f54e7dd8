import { certificateEvents } from '../lib/app/certificates.js';
import { EventsReply } from '../lib/app/schemas.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { certificateStore } from '../lib/root.js';

const route = routes.certificateEvents;

export async function events({ caller, params }: ApiRequest<typeof route>) {
  const items = await certificateEvents({ store: certificateStore() }, caller, params.id);
  return json(200, EventsReply.parse({ items }));
}
export const handler = apiHandler(route, events);
