import { letterTemplate } from '../lib/app/letters.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { letterTemplateDeps } from '../lib/root.js';

const route = routes.letterTemplate;

export async function template({ caller, params }: ApiRequest<typeof route>) {
  const pdf = await letterTemplate(letterTemplateDeps(), caller, params.id);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="revocation-letter-${params.id}.pdf"`, 'cache-control': 'no-store' },
    body: Buffer.from(pdf).toString('base64'),
    isBase64Encoded: true,
  };
}
export const handler = apiHandler(route, template);
