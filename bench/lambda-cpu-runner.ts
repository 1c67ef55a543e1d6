// Runs in a process of its own: loads one api bundle and invokes it the way the Lambda runtime
// does (the event arrives as JSON text, the result leaves as JSON text), and reports the CPU
// time of each invocation, so that the embedded stores' CPU (in the parent) is not counted.
// argv: BUNDLE_FILE [STREAMING_BUNDLE_FILE]; env: the function's environment. Prints one JSON
// line of results. With the streaming function's bundle (the one the REST API routes
// GetJobOutput to), GetJobOutput is also measured through it, as the runtime streams it.
import { signedRestEvent } from '../test/support/api-gateway-event';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { treeHash } from '../lambda/domain/checksums';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers?: Record<string, string>; body: string }>;
type StreamingHandler = (event: unknown, responseStream: Writable, context: unknown) => Promise<void>;

/**
 * The runtime's response stream, as far as the handler's CPU goes: it takes the bytes and lets
 * them go (the runtime's own sending of them is not the handler's work). `statusCode` is what
 * the handler's metadata said.
 */
class DiscardedResponse extends Writable {
  statusCode = 0;
  override _write(_chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    done();
  }
  setContentType(): void {}
}

// The globals the Node.js runtime defines before it loads a streaming handler.
(globalThis as unknown as { awslambda: unknown }).awslambda = {
  streamifyResponse: (handler: StreamingHandler) => handler,
  HttpResponseStream: {
    from(stream: DiscardedResponse, metadata: { statusCode: number }) {
      stream.statusCode = metadata.statusCode;
      return stream;
    },
  },
};

const HOST = 'bench.example.com';
const MiB = 1024 * 1024;
const BODY_MIB = 4;
const COUNT = Number(process.env.BENCH_LAMBDA_COUNT ?? '32');

const credentials = {
  accessKeyId: process.env.COLDVAULT_ACCESS_KEY_ID as string,
  secretAccessKey: process.env.COLDVAULT_SECRET_ACCESS_KEY as string,
};

/**
 * A REST API (v1) proxy event on a custom domain (no stage), as JSON text: what the runtime
 * receives, decoded from the bytes its client read into one flat string. (JSON.stringify's own
 * result is a rope of pieces, which JSON.parse would first copy into one: a cost the runtime
 * does not have.)
 */
async function eventText(method: string, path: string, headers: Record<string, string> = {}, body = Buffer.alloc(0)): Promise<string> {
  const event = await signedRestEvent(method, path, { host: HOST, region: process.env.AWS_REGION, credentials, headers, body });
  return Buffer.from(JSON.stringify(event)).toString('utf8');
}

const context = { functionName: 'api', awsRequestId: 'bench', getRemainingTimeInMillis: () => 29_000 };

async function main() {
  const { handler } = createRequire(__filename)(process.argv[2]) as { handler: Handler };
  let cpuMicros = 0;
  // Of which the runtime's own work, outside the handler: parsing the event, writing the result.
  let jsonMicros = 0;
  const micros = (used: NodeJS.CpuUsage) => used.user + used.system;
  const invoke = async (text: string) => {
    const started = process.cpuUsage();
    const event: unknown = JSON.parse(text);
    const parsed = micros(process.cpuUsage(started));
    const result = await handler(event, context);
    const stringifying = process.cpuUsage();
    JSON.stringify(result);
    jsonMicros += parsed + micros(process.cpuUsage(stringifying));
    cpuMicros += micros(process.cpuUsage(started));
    if (result.statusCode >= 300) throw new Error(`${result.statusCode}: ${result.body}`);
    return result;
  };
  const timed = async (texts: string[]) => {
    cpuMicros = 0;
    jsonMicros = 0;
    // Only the headers are kept: once the runtime has sent a result, its body is garbage.
    const results = [];
    for (const text of texts) {
      const { statusCode, headers } = await invoke(text);
      results.push({ statusCode, headers });
    }
    return { cpuSeconds: cpuMicros / 1e6, runtimeJsonCpuSeconds: jsonMicros / 1e6, results };
  };
  const vault = '/-/vaults/bench';
  await invoke(await eventText('PUT', vault));
  const bodies = Array.from({ length: 4 }, () => randomBytes(BODY_MIB * MiB));
  const treeHashes = bodies.map((body) => treeHash(body).toString('hex'));
  const header = (i: number) => ({ 'x-amz-sha256-tree-hash': treeHashes[i % bodies.length] });
  // Warm-up: the first invocation builds the clients and loads the code.
  await invoke(await eventText('POST', `${vault}/archives`, header(0), bodies[0]));

  const uploads = await timed(
    await Promise.all(
      Array.from({ length: COUNT }, (_, i) => eventText('POST', `${vault}/archives`, header(i), bodies[i % bodies.length])),
    ),
  );
  const archiveId = uploads.results[0].headers?.['x-amz-archive-id'] as string;

  const initiated = await invoke(await eventText('POST', `${vault}/multipart-uploads`, { 'x-amz-part-size': String(BODY_MIB * MiB) }));
  const uploadPath = `${vault}/multipart-uploads/${initiated.headers?.['x-amz-multipart-upload-id']}`;
  const parts = await timed(
    await Promise.all(
      Array.from({ length: COUNT }, (_, i) =>
        eventText(
          'PUT',
          uploadPath,
          { ...header(i), 'content-range': `bytes ${i * BODY_MIB * MiB}-${(i + 1) * BODY_MIB * MiB - 1}/*` },
          bodies[i % bodies.length],
        ),
      ),
    ),
  );

  const job = await invoke(
    await eventText(
      'POST',
      `${vault}/jobs`,
      { 'content-type': 'application/json' },
      Buffer.from(JSON.stringify({ Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' })),
    ),
  );
  const outputPath = `${vault}/jobs/${job.headers?.['x-amz-job-id']}/output`;
  const outputTexts = await Promise.all(Array.from({ length: COUNT }, () => eventText('GET', outputPath)));
  const outputs = await timed(outputTexts);
  const streamed = process.argv[3] ? await streamedOutputs(process.argv[3], outputTexts) : undefined;

  const gib = (COUNT * BODY_MIB) / 1024;
  const perGiB = (seconds: number) => Math.round((seconds / gib) * 100) / 100;
  console.log(
    JSON.stringify({
      requests: COUNT,
      bodyMiB: BODY_MIB,
      uploadArchiveCpuSecondsPerGiB: perGiB(uploads.cpuSeconds),
      uploadPartCpuSecondsPerGiB: perGiB(parts.cpuSeconds),
      getJobOutputCpuSecondsPerGiB: perGiB(outputs.cpuSeconds),
      ...(streamed !== undefined && { streamedGetJobOutputCpuSecondsPerGiB: perGiB(streamed) }),
      runtimeJsonCpuSecondsPerGiB: {
        uploadArchive: perGiB(uploads.runtimeJsonCpuSeconds),
        uploadPart: perGiB(parts.runtimeJsonCpuSeconds),
        getJobOutput: perGiB(outputs.runtimeJsonCpuSeconds),
      },
    }),
  );
}

/** CPU seconds of the streaming function's handler over `texts` (after one warm-up), the event parsed as the runtime parses it. */
async function streamedOutputs(bundle: string, texts: string[]): Promise<number> {
  const { handler } = createRequire(__filename)(bundle) as { handler: StreamingHandler };
  const stream = async (text: string) => {
    const response = new DiscardedResponse();
    await handler(JSON.parse(text), response, context);
    if (response.statusCode !== 200) throw new Error(`streamed GetJobOutput answered ${response.statusCode}`);
  };
  await stream(texts[0]);
  const started = process.cpuUsage();
  for (const text of texts) await stream(text);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1e6;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
