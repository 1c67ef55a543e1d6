// A store that accepts connections and never answers must not hold a request forever: the
// clients the wiring builds give up after the configured idle time, on every attempt.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { readConfig, readLocalConfig, type Config } from '../../lambda/config';
import { createDynamoClient, createS3Client } from '../../lambda/wiring';

let silent: Server;
let endpoint: string;
let connections = 0;
const sockets: Socket[] = [];

beforeAll(async () => {
  silent = createServer((socket) => {
    connections += 1;
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});
beforeEach(() => {
  connections = 0;
});

function configFor(): Config {
  const config = readLocalConfig({ COLDVAULT_S3_ENDPOINT: endpoint, COLDVAULT_DYNAMODB_ENDPOINT: endpoint });
  return { ...config, storeTimeoutsMs: { connection: 500, socket: 300 } };
}

it('a DynamoDB request to a store that never answers fails with a timeout after the SDK has retried it', async () => {
  const dynamo = createDynamoClient(configFor());
  const request = dynamo.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }));
  await expect(request).rejects.toMatchObject({ name: 'TimeoutError' });
  expect(connections).toBeGreaterThan(1);
  dynamo.destroy();
});

it('an S3 request to a store that never answers fails with a timeout', async () => {
  const s3 = createS3Client(configFor());
  await expect(s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }))).rejects.toMatchObject({ name: 'TimeoutError' });
  expect(connections).toBeGreaterThan(0);
  s3.destroy();
});

it('deployed, stores get a 3 s idle limit; locally, where the stores share the process and the disk, 5 s', () => {
  const deployed = readConfig({
    COLDVAULT_ACCOUNT_ID: '123456789012',
    AWS_REGION: 'eu-west-1',
    COLDVAULT_TABLE: 't',
    COLDVAULT_BUCKET: 'b',
  });
  expect(deployed.storeTimeoutsMs).toEqual({ connection: 2_000, socket: 3_000 });
  expect(readLocalConfig({}).storeTimeoutsMs).toEqual({ connection: 2_000, socket: 5_000 });
});
