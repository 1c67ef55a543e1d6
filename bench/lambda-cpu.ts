import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_ESBUILD } from '../lib/bundling';
import { lambdaEnvironment } from '../test/support/bundled-lambda';
import { createTable, startDynalite, startS3rver } from '../test/support/embedded';

const ROOT = resolve(__dirname, '..');
const TABLE = 'coldvault-bench';
const BUCKET = 'coldvault-bench';

export interface HandlerCpu {
  requests: number;
  bodyMiB: number;
  uploadArchiveCpuSecondsPerGiB: number;
  uploadPartCpuSecondsPerGiB: number;
  getJobOutputCpuSecondsPerGiB: number;
  /** GetJobOutput through the streaming function, as the REST API deploys it (absent where the commit has none). */
  streamedGetJobOutputCpuSecondsPerGiB?: number;
  /** Of the figures above, what the runtime spends outside the handler: parsing the event, writing the result. */
  runtimeJsonCpuSecondsPerGiB: { uploadArchive: number; uploadPart: number; getJobOutput: number };
}

/** A function's bundle, built with the deployed settings from `root` (this checkout, or a past commit's); undefined if it has no such handler. */
async function bundleOf(root: string, outDir: string, handler: string): Promise<string | undefined> {
  const entry = join(root, 'lambda/handlers', `${handler}.ts`);
  if (!existsSync(entry)) return undefined;
  const outfile = join(outDir, `${handler}.js`);
  await build({ ...LAMBDA_ESBUILD, sourcemap: false, entryPoints: [entry], outfile, logLevel: 'silent' });
  return outfile;
}

/** The api function's bundle, and the streaming function's where the commit has one. */
async function bundlesOf(root: string, outDir: string): Promise<string[]> {
  const api = await bundleOf(root, outDir, 'api');
  if (!api) throw new Error(`No api handler under ${root}`);
  const streaming = await bundleOf(root, outDir, 'api-stream');
  return streaming ? [api, streaming] : [api];
}

/** The lambda/ folder of commit `ref`, next to this checkout's node_modules. */
function checkoutOf(ref: string, dir: string): string {
  execFileSync('sh', ['-c', `git archive "$1" lambda | tar -x -C "$2"`, 'sh', ref, dir], { cwd: ROOT });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

function runHandler(bundles: string[], env: Record<string, string>, cpuProfileDir?: string): Promise<HandlerCpu> {
  return new Promise((resolveRun, reject) => {
    const profile = cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfileDir] : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', join(ROOT, 'bench/lambda-cpu-runner.ts'), ...bundles], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', BENCH_LAMBDA_COUNT: process.env.BENCH_LAMBDA_COUNT ?? '32', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{"requests"')) reject(new Error(`handler run exited ${code}: ${stderr.slice(-2000)}`));
      else resolveRun(JSON.parse(last) as HandlerCpu);
    });
  });
}

/**
 * The api function's own CPU per GiB (what Lambda bills), invoked as the runtime does, with the
 * embedded DynamoDB and S3 in this process so that their work is not counted. With
 * `baselineRef`, the same for the api function of that commit, in the same run. With
 * `cpuProfileDir`, each handler process writes a CPU profile there (current/, baseline/).
 * BENCH_LAMBDA_COUNT in the environment: how many requests of each kind are measured (32).
 */
export async function lambdaHandlerCpu(
  baselineRef?: string,
  cpuProfileDir?: string,
): Promise<{ current: HandlerCpu; baseline?: HandlerCpu & { ref: string } }> {
  const dir = mkdtempSync(join(tmpdir(), 'coldvault-lambda-cpu-'));
  const dynamo = await startDynalite();
  const s3 = await startS3rver(BUCKET);
  try {
    const stores = { dynamoEndpoint: dynamo.endpoint, s3Endpoint: s3.endpoint };
    const env = {
      ...lambdaEnvironment(stores, {
        account: '123456789012',
        region: 'us-east-1',
        table: TABLE,
        bucket: BUCKET,
        root: { accessKeyId: 'AKIDBENCHLAMBDA00001', secretAccessKey: 'bench-lambda-secret' },
      }),
      COLDVAULT_STORAGE_CLASS: 'STANDARD',
      COLDVAULT_JOB_DELAY_SECONDS: '0',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    };
    await createTable(stores, TABLE);
    const profileDir = (name: string) => cpuProfileDir && resolve(cpuProfileDir, name);
    const current = await runHandler(await bundlesOf(ROOT, join(dir, 'current')), env, profileDir('current'));
    if (!baselineRef) return { current };
    const base = checkoutOf(baselineRef, mkdtempSync(join(dir, 'baseline-')));
    const baseline = await runHandler(await bundlesOf(base, join(dir, 'baseline')), env, profileDir('baseline'));
    return { current, baseline: { ...baseline, ref: baselineRef } };
  } finally {
    await dynamo.close();
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
