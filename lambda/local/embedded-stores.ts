import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { TABLE_KEYS as K } from '../store/table-schema';

export interface EmbeddedStores {
  dynamoEndpoint: string;
  s3Endpoint: string;
  close(): Promise<void>;
}

/** A DynamoDB-compatible server (dynalite) and an S3-compatible one (s3rver), persisting under dataDir. */
export async function startEmbeddedStores(dataDir: string, bucketName: string): Promise<EmbeddedStores> {
  const dynamo: Server = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(0, '127.0.0.1', resolve);
  });
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dataDir, 's3'), configureBuckets: [{ name: bucketName }] });
  let s3Port: number;
  try {
    s3Port = (await s3.run()).port;
  } catch (error) {
    dynamo.close();
    throw error;
  }
  return {
    dynamoEndpoint: `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`,
    s3Endpoint: `http://127.0.0.1:${s3Port}`,
    async close() {
      await s3.close();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}

/** Creates the coldvault table (same keys as the deployed one) if it does not exist yet. */
export async function ensureTable(db: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await db.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: K.partitionKey, AttributeType: 'S' },
          { AttributeName: K.sortKey, AttributeType: 'S' },
          { AttributeName: K.vaultIndexPartitionKey, AttributeType: 'S' },
          { AttributeName: K.vaultIndexSortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: K.partitionKey, KeyType: 'HASH' },
          { AttributeName: K.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: K.vaultIndex,
            KeySchema: [
              { AttributeName: K.vaultIndexPartitionKey, KeyType: 'HASH' },
              { AttributeName: K.vaultIndexSortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException) && (error as { name?: string }).name !== 'ResourceInUseException') throw error;
  }
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const out = await db.send(new DescribeTableCommand({ TableName: tableName }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Table ${tableName} did not become active`);
}
