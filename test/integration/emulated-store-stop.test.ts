// Stopping an emulated store under a request still arriving: the store waits for the requests it
// has taken to be answered before it closes its database. Cutting one off mid-way left its
// operation running on a closed database, which throws ("Database is closed") in whatever process
// runs the store: an outage test failed that way under load.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable, startEmbeddedStores, type EmbeddedStores } from '../../lambda/local/embedded-stores';

const TABLE = 'stop-under-load';
let dir: string;
let stores: EmbeddedStores;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coldvault-store-stop-'));
  stores = await startEmbeddedStores(join(dir, 'data'), 'bucket');
});

afterEach(async () => {
  await stores.close();
  rmSync(dir, { recursive: true, force: true });
});

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A PutItem whose body arrives in `pieces` pieces, `gapMs` apart; resolves to its status code. */
function slowPutItem(endpoint: string, pieces: number, gapMs: number): Promise<number> {
  const body = Buffer.from(JSON.stringify({ TableName: TABLE, Item: { pk: { S: 'slow' }, sk: { S: 'slow' } } }));
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
  return new Promise((resolve, reject) => {
    const req = request(
      `${endpoint}/`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'content-length': body.length,
          'x-amz-target': 'DynamoDB_20120810.PutItem',
          'x-amz-date': now,
          authorization: `AWS4-HMAC-SHA256 Credential=x/${now.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    void (async () => {
      const size = Math.ceil(body.length / pieces);
      for (let offset = 0; offset < body.length; offset += size) {
        req.write(body.subarray(offset, offset + size));
        await pause(gapMs);
      }
      req.end();
    })();
  });
}

it('answers a request it took before it stopped, however slowly its body arrives, and only then stops', async () => {
  const db = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: stores.dynamoEndpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await ensureTable(db, TABLE);
  db.destroy();
  // Over 3 seconds: longer than a store's stop used to wait before it cut every connection.
  const put = slowPutItem(stores.dynamoEndpoint, 6, 500);
  await pause(200);
  let stopped = false;
  const stop = stores.stop('dynamodb').then(() => (stopped = true));
  expect(await put).toBe(200);
  await stop;
  expect(stopped).toBe(true);

  await stores.restart('dynamodb');
  const again = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: stores.dynamoEndpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  try {
    const got = await again.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'slow' }, sk: { S: 'slow' } } }));
    expect(got.Item).toEqual({ pk: { S: 'slow' }, sk: { S: 'slow' } });
  } finally {
    again.destroy();
  }
});
