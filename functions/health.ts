import { apiHandler } from '../lib/http/api.js';
import { ROUTES } from '../lib/http/contract.js';
import { json } from '../lib/http/problem.js';

export const health = async () => json(200, { status: 'ok' });
export const handler = apiHandler(ROUTES.health, health);
