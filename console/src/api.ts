import type { AuditEvent, Certificate, Page, Reissue, Review, Revocation, UploadSlot } from './types.js';

/** A problem+json reply (API.md), as an error the views show by its code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly fields: { path: string; message: string }[] = [],
  ) {
    super(detail);
  }
}

interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
}

/** The HTTP API, as the signed-in user. Only this talks to the network (besides the S3 upload). */
export class Api {
  constructor(
    private readonly base: string,
    private readonly token: () => string | undefined,
    private readonly onUnauthenticated: () => void,
  ) {}

  listCertificates = (cursor?: string, status?: string) => this.json<Page<Certificate>>('GET', `/certificates${query({ cursor, status, limit: '50' })}`);
  getCertificate = (id: string) => this.json<{ certificate: Certificate }>('GET', `/certificates/${enc(id)}`).then((r) => r.certificate);
  events = (id: string) => this.json<{ items: AuditEvent[] }>('GET', `/certificates/${enc(id)}/events`).then((r) => r.items);
  download = (id: string) => this.blob('GET', `/certificates/${enc(id)}/download`);
  deleteCertificate = (id: string) => this.send('DELETE', `/certificates/${enc(id)}`);
  submitRevocation = (id: string, body: { reason?: string; reasonCode: string }, idempotencyKey: string) =>
    this.json<{ revocation: Revocation }>('POST', `/certificates/${enc(id)}/revocations`, { body, headers: { 'idempotency-key': idempotencyKey } }).then((r) => r.revocation);
  getRevocation = (id: string) => this.json<{ revocation: Revocation }>('GET', `/revocations/${enc(id)}`).then((r) => r.revocation);
  letterTemplate = (id: string) => this.blob('GET', `/revocations/${enc(id)}/letter-template`);
  letterUpload = (id: string) => this.json<UploadSlot>('POST', `/revocations/${enc(id)}/letter-upload`, { body: {} });
  checkValidation = (id: string) => this.send('POST', `/revocations/${enc(id)}/validation/check`, { body: {} });
  submitReissue = (id: string, body: Record<string, unknown>) => this.json<{ reissue: Reissue }>('POST', `/certificates/${enc(id)}/reissues`, { body }).then((r) => r.reissue);
  getReissue = (id: string) => this.json<{ reissue: Reissue }>('GET', `/reissues/${enc(id)}`).then((r) => r.reissue);
  privateKey = (id: string) => this.blob('GET', `/reissues/${enc(id)}/private-key`);
  listReviews = (cursor?: string) => this.json<Page<Review>>('GET', `/reviews${query({ status: 'pending', cursor, limit: '100' })}`);
  getReview = (id: string) => this.json<{ review: Review }>('GET', `/reviews/${enc(id)}`).then((r) => r.review);
  decide = (id: string, decision: 'approve' | 'reject', note?: string) => this.send('POST', `/reviews/${enc(id)}/decision`, { body: note ? { decision, note } : { decision } });

  private async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    return (await res.json()) as T;
  }

  private async blob(method: string, path: string): Promise<{ blob: Blob; name: string }> {
    const res = await this.send(method, path);
    const disposition = res.headers.get('content-disposition') ?? '';
    return { blob: await res.blob(), name: /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? 'download' };
  }

  private async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    const token = this.token();
    // Signed out (or expired) meanwhile, e.g. a page still polling: nothing to send.
    if (!token) throw new ApiError(401, 'UNAUTHENTICATED', 'Your session has ended; sign in again.');
    headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The service could not be reached. Check your connection and try again.');
    }
    if (res.ok) return res;
    const problem = (await res.json().catch(() => ({}))) as { code?: string; detail?: string; fields?: { path: string; message: string }[] };
    if (res.status === 401) this.onUnauthenticated();
    throw new ApiError(res.status, problem.code ?? 'HTTP_' + res.status, problem.detail ?? `The request failed (${res.status}).`, problem.fields);
  }
}

const enc = encodeURIComponent;
function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
