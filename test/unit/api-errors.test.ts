import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Services } from '../../lambda/domain/services';
import { bufferedBody } from '../../lambda/http/request-body';
import { createApi } from '../../lambda/http/api';
import type { HttpRequest } from '../../lambda/http/types';
import { StaticKeyStore } from '../../lambda/store/keys';
import type { AccountStore } from '../../lambda/domain/account-ports';
import type { BlobStore, JobStore, MetadataStore, Notifier, PurgeQueue, UploadStore } from '../../lambda/domain/ports';
import { memoryServices } from '../support/memory-stores';

const KEY = { accessKeyId: 'AKIDUNIT', secretAccessKey: 'unit-secret' };
const noUsers = { getUser: async () => undefined };
const keys = new StaticKeyStore({ [KEY.accessKeyId]: { accountId: '111122223333', secretAccessKey: KEY.secretAccessKey } });

/** A store whose every call fails, as S3 or DynamoDB do in an outage. */
const failing = <T extends object>(message: string) =>
  new Proxy({} as T, {
    get: () => () => Promise.reject(new Error(message)),
  });

/** Services whose every store fails with `message`. */
const failingServices = (message: string): Services => ({
  metadata: failing<MetadataStore>(message),
  uploads: failing<UploadStore>(message),
  blobs: failing<BlobStore>(message),
  jobs: failing<JobStore>(message),
  purges: failing<PurgeQueue>(message),
  accounts: failing<AccountStore>(message),
  notifier: failing<Notifier>(message),
  retrieval: { kind: 'restore' },
  maxBodyBytes: 1024 * 1024,
  region: 'us-east-1',
  now: () => new Date(),
});

async function signed(method: string, path: string): Promise<HttpRequest> {
  const body = Buffer.alloc(0);
  const headers = {
    host: 'glacier.example.com',
    'x-amz-glacier-version': '2012-06-01',
    'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
  };
  const signer = new SignatureV4({ service: 'glacier', region: 'us-east-1', credentials: KEY, sha256: Hash.bind(null, 'sha256') });
  const out = await signer.sign({ method, protocol: 'https:', hostname: headers.host, path, query: {}, headers, body });
  return {
    method,
    path,
    signedPath: path,
    query: {},
    headers: out.headers as Record<string, string>,
    repeatedHeaders: [],
    body: bufferedBody(body, headers['x-amz-content-sha256']),
  };
}

it('answers an unexpected exception with 500 ServiceUnavailableException and logs it with the request ID', async () => {
  const logged: Record<string, unknown>[] = [];
  const svc = failingServices('connect ECONNREFUSED');
  const api = createApi({ svc, keys, users: noUsers, log: (message, detail) => logged.push({ message, ...detail }) });
  const response = await api(await signed('GET', '/-/vaults/some-vault'));

  expect(response.statusCode).toBe(500);
  expect(response.headers['x-amzn-errortype']).toBe('ServiceUnavailableException');
  const requestId = response.headers['x-amzn-requestid'];
  const body = JSON.parse(response.body.toString());
  expect(body).toEqual({ code: 'ServiceUnavailableException', message: expect.stringContaining(requestId), type: 'Server' });
  expect(body.message).not.toMatch(/ECONNREFUSED/);
  expect(logged).toEqual([expect.objectContaining({ requestId, error: expect.stringContaining('ECONNREFUSED') })]);
});

it('does not log client errors', async () => {
  const logged: unknown[] = [];
  const svc = failingServices('x');
  const api = createApi({ svc, keys, users: noUsers, log: (message) => logged.push(message) });
  const response = await api(await signed('GET', '/-/vaults/bad%2Fname'));
  expect(response.statusCode).toBe(400);
  expect(response.headers['x-amzn-errortype']).toBe('InvalidParameterValueException');
  expect(logged).toEqual([]);
});

it('answers a routed operation that is not built with 501 NotImplementedException naming it', async () => {
  const svc = { ...memoryServices(), now: () => new Date() };
  const api = createApi({ svc, keys, users: noUsers, operations: {}, log: () => undefined });
  const response = await api(await signed('GET', '/-/provisioned-capacity'));
  expect(response.statusCode).toBe(501);
  expect(JSON.parse(response.body.toString())).toEqual({
    code: 'NotImplementedException',
    message: 'coldvault does not support ListProvisionedCapacity yet.',
    type: 'Server',
  });
});
