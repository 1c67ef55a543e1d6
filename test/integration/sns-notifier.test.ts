// SnsNotifier against a server that answers as SNS does (its Query protocol: a form-encoded
// POST, an XML answer), to check which failures it reports and which it hands back to retry.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SNSClient } from '@aws-sdk/client-sns';
import { SnsNotifier } from '../../lambda/store/notifiers';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:jobs';
let server: Server;
let endpoint: string;
/** What the fake SNS answers next: a status and an error code, or success. */
let answer: { status: number; code?: string; type?: 'Sender' | 'Receiver' } = { status: 200 };
let received: URLSearchParams[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(new URLSearchParams(Buffer.concat(chunks).toString()));
      const ns = 'http://sns.amazonaws.com/doc/2010-03-31/';
      const body =
        answer.status === 200
          ? `<PublishResponse xmlns="${ns}"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>`
          : `<ErrorResponse xmlns="${ns}"><Error><Type>${answer.type}</Type><Code>${answer.code}</Code><Message>refused</Message></Error><RequestId>r-2</RequestId></ErrorResponse>`;
      response.writeHead(answer.status, { 'content-type': 'text/xml' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function notifier() {
  const logged: string[] = [];
  const regions: string[] = [];
  const sns = new SnsNotifier(
    (message) => logged.push(message),
    (region) => {
      regions.push(region);
      return new SNSClient({ region, endpoint, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
    },
  );
  return { sns, logged, regions };
}

beforeEach(() => {
  received = [];
  answer = { status: 200 };
});

it("publishes the subject and message to the topic, with a client in the topic's region", async () => {
  const { sns, logged, regions } = notifier();
  await sns.publish(TOPIC, 'Notification from Amazon Glacier: ArchiveRetrievalCompleted', '{"JobId":"j"}');
  expect(received.map((form) => [form.get('Action'), form.get('TopicArn'), form.get('Subject'), form.get('Message')])).toEqual([
    ['Publish', TOPIC, 'Notification from Amazon Glacier: ArchiveRetrievalCompleted', '{"JobId":"j"}'],
  ]);
  expect(regions).toEqual(['eu-west-1']);
  expect(logged).toEqual([]);
});

it.each([
  [404, 'NotFound'],
  [403, 'AuthorizationError'],
  [400, 'InvalidParameter'],
])('reports a delivery that can never succeed (%i %s) and resolves', async (status, code) => {
  answer = { status, code, type: 'Sender' };
  const { sns, logged } = notifier();
  await expect(sns.publish(TOPIC, 's', 'm')).resolves.toBeUndefined();
  expect(logged).toEqual(['notification failed']);
});

it.each([
  [400, 'Throttling', 'Sender'],
  [500, 'InternalError', 'Receiver'],
  [503, 'ServiceUnavailable', 'Receiver'],
] as const)('hands back a delivery that may succeed later (%i %s), to be tried again', async (status, code, type) => {
  answer = { status, code, type };
  const { sns, logged } = notifier();
  await expect(sns.publish(TOPIC, 's', 'm')).rejects.toMatchObject({ name: expect.stringContaining(code) });
  expect(logged).toEqual(['notification failed; it will be tried again']);
});
