import { downloadCertificate } from '../lib/app/certificates.js';
import { apiHandler, type ApiRequest } from '../lib/http/api.js';
import * as routes from '../lib/http/routes.js';
import { text } from '../lib/http/problem.js';
import { certificateStore } from '../lib/root.js';

const route = routes.downloadCertificate;

export async function download({ caller, params }: ApiRequest<typeof route>) {
  const pem = await downloadCertificate({ store: certificateStore() }, caller, params.id);
  return text(200, pem, 'application/x-pem-file', { 'content-disposition': `attachment; filename="${params.id}.pem"`, 'cache-control': 'no-store' });
}
export const handler = apiHandler(route, download);
