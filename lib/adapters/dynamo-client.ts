import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  ScanCommandInput,
  ScanCommandOutput,
  TransactWriteCommandInput,
  TransactWriteCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { AwsServiceError } from './aws/client.js';
import { JsonServiceClient } from './aws/json.js';

/**
 * DynamoDB as the adapters use it: the document operations of @aws-sdk/lib-dynamodb (plain
 * values in, plain values out, marshalled with @aws-sdk/util-dynamodb as it does), sent by our own
 * client (./aws/client.ts). The commands keep lib-dynamodb's names and input types, so an
 * adapter reads as it would with the SDK.
 */

export interface DynamoClientOptions {
  region: string;
  /** Set for DynamoDB Local; unset in AWS. */
  endpoint?: string | undefined;
  /** @default 3 */
  maxAttempts?: number;
  /** @default 3000 */
  requestTimeoutMs?: number;
}

/** A request for one operation; `O` is what `send` resolves to. */
export abstract class DynamoCommand<I, O> {
  declare readonly output?: O;
  constructor(
    readonly operation: string,
    readonly input: I,
  ) {}
}

export class GetCommand extends DynamoCommand<GetCommandInput, GetCommandOutput> {
  constructor(input: GetCommandInput) {
    super('GetItem', input);
  }
}
export class PutCommand extends DynamoCommand<PutCommandInput, PutCommandOutput> {
  constructor(input: PutCommandInput) {
    super('PutItem', input);
  }
}
export class UpdateCommand extends DynamoCommand<UpdateCommandInput, UpdateCommandOutput> {
  constructor(input: UpdateCommandInput) {
    super('UpdateItem', input);
  }
}
export class QueryCommand extends DynamoCommand<QueryCommandInput, QueryCommandOutput> {
  constructor(input: QueryCommandInput) {
    super('Query', input);
  }
}
export class ScanCommand extends DynamoCommand<ScanCommandInput, ScanCommandOutput> {
  constructor(input: ScanCommandInput) {
    super('Scan', input);
  }
}
export class BatchGetCommand extends DynamoCommand<BatchGetCommandInput, BatchGetCommandOutput> {
  constructor(input: BatchGetCommandInput) {
    super('BatchGetItem', input);
  }
}
export class BatchWriteCommand extends DynamoCommand<BatchWriteCommandInput, BatchWriteCommandOutput> {
  constructor(input: BatchWriteCommandInput) {
    super('BatchWriteItem', input);
  }
}
export class TransactWriteCommand extends DynamoCommand<TransactWriteCommandInput, TransactWriteCommandOutput> {
  constructor(input: TransactWriteCommandInput) {
    super('TransactWriteItems', input);
  }
}

/** A condition did not hold; `Item` (DynamoDB's form) is what was found, when asked for. */
export class ConditionalCheckFailedException extends AwsServiceError {
  declare readonly Item?: Record<string, unknown>;
}
/** A transaction was cancelled; one reason per item, in order (`Code`, and `Item` in DynamoDB's form). */
export class TransactionCanceledException extends AwsServiceError {
  declare readonly CancellationReasons?: { Code?: string; Message?: string; Item?: Record<string, unknown> }[];
}

/** `items`: how many items the request names (1, or the items of a batch or transaction). */
type CallListener = (operation: string, items: number) => void;
const callListeners = new Set<CallListener>();

/**
 * Calls `listener` with the operation name (`GetItem`, `TransactWriteItems`, …) and item count of every
 * DynamoDB request any document client of this process sends, retries included, until the
 * returned function is called. For measuring round trips (npm run bench); nothing listens otherwise.
 */
export function onDynamoCall(listener: CallListener): () => void {
  callListeners.add(listener);
  return () => callListeners.delete(listener);
}

function itemsOf(input: Record<string, unknown>): number {
  if (Array.isArray(input.TransactItems)) return input.TransactItems.length;
  const batch = input.RequestItems as Record<string, unknown[] | { Keys?: unknown[] }> | undefined;
  if (batch) return Object.values(batch).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : (v.Keys?.length ?? 0)), 0);
  return 1;
}

type Item = Record<string, NativeAttributeValue>;
type Wire = Record<string, unknown>;
const MARSHALL = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;
const toWire = (item: Item | undefined) => (item === undefined ? undefined : marshall(item, MARSHALL));
const fromWire = (item: Wire | undefined) => (item === undefined ? undefined : unmarshall(item as Parameters<typeof unmarshall>[0]));
const mapValues = <A, B>(record: Record<string, A>, f: (a: A) => B): Record<string, B> => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));

/** The input's plain values in DynamoDB's form: keys, items and expression values, wherever the operation has them. */
function marshallInput(input: Wire): Wire {
  const out: Wire = { ...input };
  for (const field of ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const) if (input[field] !== undefined) out[field] = toWire(input[field] as Item);
  if (Array.isArray(input.TransactItems)) {
    out.TransactItems = (input.TransactItems as Record<string, Wire>[]).map((entry) => mapValues(entry, marshallInput));
  }
  if (input.RequestItems) {
    out.RequestItems = mapValues(input.RequestItems as Record<string, unknown>, (request) =>
      Array.isArray(request)
        ? (request as Record<string, Wire>[]).map((write) => mapValues(write, marshallInput))
        : { ...(request as Wire), Keys: ((request as { Keys: Item[] }).Keys ?? []).map(toWire) },
    );
  }
  return out;
}

/** The reply's items back into plain values. */
function unmarshallOutput(output: Wire): Wire {
  const out: Wire = { ...output };
  for (const field of ['Item', 'Attributes', 'LastEvaluatedKey'] as const) if (output[field] !== undefined) out[field] = fromWire(output[field] as Wire);
  if (Array.isArray(output.Items)) out.Items = (output.Items as Wire[]).map(fromWire);
  if (output.Responses) out.Responses = mapValues(output.Responses as Record<string, Wire[]>, (items) => items.map(fromWire));
  if (output.UnprocessedKeys) {
    out.UnprocessedKeys = mapValues(output.UnprocessedKeys as Record<string, Wire>, (request) => ({ ...request, Keys: ((request.Keys as Wire[]) ?? []).map(fromWire) }));
  }
  if (output.UnprocessedItems) {
    out.UnprocessedItems = mapValues(output.UnprocessedItems as Record<string, Record<string, Wire>[]>, (writes) =>
      writes.map((write) => mapValues(write, (request) => ({ ...request, ...(request.Item ? { Item: fromWire(request.Item as Wire) } : {}), ...(request.Key ? { Key: fromWire(request.Key as Wire) } : {}) }))),
    );
  }
  return out;
}

/**
 * A reply's binary attribute values (`{"B": base64}`, `{"BS": [base64…]}`) as bytes. Only the
 * type tag of an attribute value holds a string or array under the key `B` or `BS`: attribute
 * names key objects.
 */
function binaryValues(key: string, value: unknown): unknown {
  const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
  if (key === 'B' && typeof value === 'string') return bytes(value);
  if (key === 'BS' && Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map(bytes);
  return value;
}

/** What `observe` hears after each call that succeeded: for the bench's meters. */
type OutputObserver = (operation: string, output: Wire) => void;

export class DocumentClient {
  private readonly observers = new Set<OutputObserver>();

  constructor(readonly client: JsonServiceClient) {
    client.onAttempt((operation, input) => {
      if (callListeners.size === 0) return;
      const items = itemsOf(input as Wire);
      for (const listener of callListeners) listener(operation, items);
    });
  }

  async send<I, O>(command: DynamoCommand<I, O>): Promise<O> {
    const wire = marshallInput(command.input as Wire);
    const output = unmarshallOutput(await this.client.send<Wire>(command.operation, wire));
    for (const observer of this.observers) observer(command.operation, output);
    return output as O;
  }

  /** Calls `observer` with each successful call's output until the returned function is called. */
  observe(observer: OutputObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  destroy(): void {
    this.client.destroy();
  }
}

/**
 * A document client with bounded retries and timeouts on every call. Created once per process
 * (composition root) and reused across invocations.
 */
export function createDocumentClient(options: DynamoClientOptions): DocumentClient {
  const client = new JsonServiceClient(
    { service: 'dynamodb', name: 'DynamoDB', targetPrefix: 'DynamoDB_20120810', version: '1.0', reviver: binaryValues, needsReviver: (text) => /"BS?":/.test(text) },
    {
      region: options.region,
      endpoint: options.endpoint,
      requestTimeoutMs: options.requestTimeoutMs ?? 3_000,
      maxAttempts: options.maxAttempts ?? 3,
      errors: { ConditionalCheckFailedException, TransactionCanceledException },
    },
  );
  return new DocumentClient(client);
}
