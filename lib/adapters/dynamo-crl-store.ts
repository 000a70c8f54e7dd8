import { ConditionalCheckFailedException, type DocumentClient, GetCommand, PutCommand } from './dynamo-client.js';
import type { CrlEntry } from '../app/ports.js';
import type { CrlStore, StoredCrl } from './crl-store.js';
import { queryAll } from './dynamo-query.js';
import { CA_PARTITION as CRL_PK } from './table-schema.js';

const CURRENT_SK = 'CURRENT';
const CA_CERTIFICATE_SK = 'CA_CERTIFICATE';
const ENTRY_PREFIX = 'ENTRY#';
/** Conditional puts in flight at once: a cascade revokes a handful, a bulk call stays polite. */
const PUT_CONCURRENCY = 10;

/**
 * The CA's revocations in the single table: one item per revoked serial (`CRL` /
 * `ENTRY#<serial>`), the current signed CRL (`CRL` / `CURRENT`, the DER as binary) and the CA
 * certificate (`CRL` / `CA_CERTIFICATE`, PEM). The CRL item is capped by DynamoDB's 400 KB item
 * size: roughly 10,000 entries.
 */
export class DynamoCrlStore implements CrlStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * One conditional Put per serial: BatchWriteItem cannot carry a condition, and one
   * TransactWriteItems would be cancelled whole by a single serial that is already recorded.
   */
  async addEntries(entries: CrlEntry[]): Promise<void> {
    // Duplicates within one call would race each other; the first one is the one to keep.
    const firstPerSerial = new Map<string, CrlEntry>();
    for (const entry of entries) if (!firstPerSerial.has(entry.serialNumber)) firstPerSerial.set(entry.serialNumber, entry);
    const unique = [...firstPerSerial.values()];
    for (let i = 0; i < unique.length; i += PUT_CONCURRENCY) {
      await Promise.all(unique.slice(i, i + PUT_CONCURRENCY).map((entry) => this.putEntry(entry)));
    }
  }

  async listEntries(): Promise<CrlEntry[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :entries)',
      ExpressionAttributeValues: { ':pk': CRL_PK, ':entries': ENTRY_PREFIX },
      // A re-sign must see every entry recorded before it started (see EmbeddedCa.revoke).
      ConsistentRead: true,
    });
    return items.map(entryFromItem);
  }

  async loadCaCertificate(): Promise<string | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: { pk: CRL_PK, sk: CA_CERTIFICATE_SK } }));
    return Item?.pem as string | undefined;
  }

  /** A plain Put: the CA's certificate never changes, so writing it again is harmless. */
  async saveCaCertificate(pem: string): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { pk: CRL_PK, sk: CA_CERTIFICATE_SK, kind: 'ca-certificate', pem } }));
  }

  async loadCrl(): Promise<StoredCrl | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: CRL_PK, sk: CURRENT_SK }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return { der: Item.der as Uint8Array, crlNumber: Item.crlNumber as number };
  }

  async saveCrl(der: Uint8Array, crlNumber: number, expectedPrevious: number | undefined): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: CRL_PK, sk: CURRENT_SK, kind: 'crl', der, crlNumber },
          ...(expectedPrevious === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'crlNumber = :expected',
                ExpressionAttributeValues: { ':expected': expectedPrevious },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async putEntry(entry: CrlEntry): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: CRL_PK,
            sk: `${ENTRY_PREFIX}${entry.serialNumber}`,
            kind: 'crl-entry',
            serialNumber: entry.serialNumber,
            revokedAt: entry.revokedAt.toISOString(),
            reasonCode: entry.reasonCode,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // Already recorded: a retried revocation keeps the first time and reason.
      if (error instanceof ConditionalCheckFailedException) return;
      throw error;
    }
  }
}

function entryFromItem(item: Record<string, unknown>): CrlEntry {
  return {
    serialNumber: item.serialNumber as string,
    revokedAt: new Date(item.revokedAt as string),
    reasonCode: item.reasonCode as CrlEntry['reasonCode'],
  };
}
