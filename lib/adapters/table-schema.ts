/**
 * The single table's key schema and indexes. CDK builds the table from it and the local
 * runtime and tests create DynamoDB Local tables from it, so the two never drift.
 */
export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
}

/** Every index is sparse: an item carries an index's keys only while it belongs to it. */
export const TABLE_INDEXES = {
  /** Certificates of an account, newest first. */
  byAccount: { name: 'byAccount', partitionKey: 'accountPk', sortKey: 'accountSk' },
  /** Pending reviews, oldest first. */
  reviewQueue: { name: 'reviewQueue', partitionKey: 'reviewPk', sortKey: 'reviewSk' },
  /**
   * What the sweep must act on, by the UTC day it becomes due (then by due time): issued
   * certificates (renewal window, expiry), validations (deadline), upload slots (expiry). The
   * sweep queries only the days up to today, up to now, so it reads only what is due.
   */
  dueByDay: { name: 'dueByDay', partitionKey: 'duePk', sortKey: 'dueSk' },
  /** Requests still in flight (revocations, reissues), so a restart or sweep resumes every one. */
  activeRequests: { name: 'activeRequests', partitionKey: 'activePk', sortKey: 'activeSk' },
  /** Reissue locks per registrable domain, for the stale-lock sweep. */
  domainLocks: { name: 'domainLocks', partitionKey: 'lockPk', sortKey: 'lockSk' },
} as const satisfies Record<string, IndexDefinition>;

/**
 * The CA's partition: its published certificate, its current CRL and the revoked serials the CRL
 * lists, all public. The public routes may read this partition and nothing else (infra grants
 * GetItem on it by `dynamodb:LeadingKeys`).
 */
export const CA_PARTITION = 'CRL';

export const TTL_ATTRIBUTE = 'expiresAtEpoch';

/** CreateTable input for DynamoDB Local (on-demand, every key a string). */
export function createTableInput(tableName: string) {
  const indexes = Object.values(TABLE_INDEXES);
  const attributes = new Set<string>([TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey, ...indexes.flatMap((i) => [i.partitionKey, i.sortKey])]);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const })),
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: indexes.map((i) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: i.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
  };
}
