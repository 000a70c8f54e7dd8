import { AwsClient, type AwsClientOptions, type AwsMetadata, type AwsResponse } from './client.js';

/**
 * AWS's JSON protocol (DynamoDB and Step Functions speak 1.0, KMS and Secrets Manager 1.1): a
 * POST to `/` naming the operation in `X-Amz-Target`, the input as the body, the output as the
 * reply, an error as `{"__type": "…#Name", "message": …}` plus its own fields.
 */
export type JsonServiceOptions = Omit<AwsClientOptions, 'service' | 'name'>;

interface JsonProtocol {
  service: string;
  name: string;
  /** `X-Amz-Target`'s prefix: `DynamoDB_20120810`, `AWSStepFunctions`, `TrentService`, `secretsmanager`. */
  targetPrefix: string;
  version: '1.0' | '1.1';
  /** Reads the service's own encodings of a reply (DynamoDB's base64 `B` values). */
  reviver?: (key: string, value: unknown) => unknown;
  /** Whether a reply's text may hold what `reviver` reads; a plain parse is several times faster. */
  needsReviver?: (text: string) => boolean;
}

/** Blobs go out as base64, as the protocol wants (checked on the holder: a Buffer's toJSON runs first). */
function blobsAsBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') : value;
}

/**
 * Whether any value inside is bytes. Most inputs hold none, and a replacer is called for every
 * key: a plain stringify after this walk took the replacer's 3% of a read off the gateway.
 */
export function holdsBytes(value: unknown): boolean {
  if (value instanceof Uint8Array) return true;
  if (typeof value !== 'object' || value === null) return false;
  for (const inner of Array.isArray(value) ? value : Object.values(value)) if (holdsBytes(inner)) return true;
  return false;
}

export const toJson = (input: object): string => (holdsBytes(input) ? JSON.stringify(input, blobsAsBase64) : JSON.stringify(input));

export class JsonServiceClient extends AwsClient {
  private readonly contentType: string;

  constructor(
    private readonly protocol: JsonProtocol,
    options: JsonServiceOptions,
  ) {
    super({ ...options, service: protocol.service, name: protocol.name });
    this.contentType = `application/x-amz-json-${protocol.version}`;
  }

  /** One operation: `input` as JSON, the parsed reply with `$metadata`. */
  async send<O>(operation: string, input: object): Promise<O & { $metadata: AwsMetadata }> {
    const response = await this.call(
      operation,
      { method: 'POST', path: '/', headers: { 'content-type': this.contentType, 'x-amz-target': `${this.protocol.targetPrefix}.${operation}` }, body: Buffer.from(toJson(input), 'utf8') },
      (reply) => readJsonError(reply, this.protocol),
      input,
    );
    const text = response.body.toString('utf8');
    const output = (text.length > 0 ? parse(text, this.protocol) : {}) as O;
    return Object.assign(output as object, { $metadata: response.$metadata }) as O & { $metadata: AwsMetadata };
  }
}

const parse = (text: string, protocol: JsonProtocol): unknown => (protocol.reviver && (protocol.needsReviver?.(text) ?? true) ? JSON.parse(text, protocol.reviver) : JSON.parse(text));

/** An error reply's name (`__type` without its namespace), message and other fields. */
function readJsonError(reply: AwsResponse, protocol: JsonProtocol): { name: string; message: string; fields: Record<string, unknown> } {
  let body: Record<string, unknown> = {};
  try {
    body = parse(reply.body.toString('utf8'), protocol) as Record<string, unknown>;
  } catch {
    // not JSON (a proxy's page): the status names it
  }
  const header = reply.headers['x-amzn-errortype'];
  const raw = String(body.__type ?? body.code ?? (typeof header === 'string' ? header : ''));
  const name = raw.split('#').pop()!.split(':')[0] || (reply.status >= 500 ? 'InternalServerError' : `Http${reply.status}`);
  const fields = Object.fromEntries(Object.entries(body).filter(([key]) => !['__type', 'code', 'message', 'Message'].includes(key)));
  return { name, message: String(body.message ?? body.Message ?? ''), fields };
}
