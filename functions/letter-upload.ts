import { issueUploadSlot } from '../lib/app/letters.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';
import { letterUploadDeps } from '../lib/root.js';

const route = routes.letterUpload;

export async function upload({ caller, params }: ApiRequest<typeof route>) {
  return json(201, await issueUploadSlot(letterUploadDeps(), caller, params.id));
}
export const handler = apiHandler(route, upload);
