import { apiHandler } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { buildOpenApiDocument } from '../lib/http/openapi.js';
import { json } from '../lib/http/problem.js';

const document = buildOpenApiDocument();

export const getOpenApi = async () => json(200, document, { 'cache-control': 'public, max-age=300' });
export const handler = apiHandler(routes.openapi, getOpenApi);
