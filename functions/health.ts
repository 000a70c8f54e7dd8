import { apiHandler } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { json } from '../lib/http/problem.js';

export const health = async () => json(200, { status: 'ok' });
export const handler = apiHandler(routes.health, health);
