// Lambda functions as deployed: the environment the stack gives them, pointed at the embedded
// stores, and bundles run in a fresh Node process with that environment and nothing else.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { MALLOC_TUNING } from '../../lib/malloc-tuning';
import { join } from 'node:path';
import type { EmbeddedStores } from '../../lambda/local/embedded-stores';

export interface LambdaSetting {
  account: string;
  region: string;
  table: string;
  bucket: string;
  root: { accessKeyId: string; secretAccessKey: string };
}

export function lambdaEnvironment(
  stores: Pick<EmbeddedStores, 'dynamoEndpoint' | 's3Endpoint'>,
  lambda: LambdaSetting,
): Record<string, string> {
  return {
    COLDVAULT_ACCOUNT_ID: lambda.account,
    AWS_REGION: lambda.region,
    COLDVAULT_TABLE: lambda.table,
    COLDVAULT_BUCKET: lambda.bucket,
    COLDVAULT_ACCESS_KEY_ID: lambda.root.accessKeyId,
    COLDVAULT_SECRET_ACCESS_KEY: lambda.root.secretAccessKey,
    COLDVAULT_DYNAMODB_ENDPOINT: stores.dynamoEndpoint,
    COLDVAULT_S3_ENDPOINT: stores.s3Endpoint,
    // Measured as deployed.
    ...MALLOC_TUNING,
  };
}

const RUNNER = `
const { handler } = require(process.argv[2]);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  handler(JSON.parse(input)).then(
    (result) => process.stdout.write(JSON.stringify(result)),
    (error) => { console.error(error); process.exitCode = 1; },
  );
});
`;

/** Puts the script `invokeBundled` runs next to the bundles in `bundleDir`. */
export function writeRunner(bundleDir: string): void {
  writeFileSync(join(bundleDir, 'runner.js'), RUNNER);
}

/** Runs the handler of `bundle` (a file in `bundleDir`) on one event in a new Node process: its result, and what it printed before. */
export function runBundled(
  bundleDir: string,
  bundle: string,
  env: Record<string, string>,
  event: unknown,
): Promise<{ result: unknown; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['runner.js', `./${bundle}`], {
      cwd: bundleDir,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'pipe',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${bundle} exited with ${code}: ${stderr}`));
      else {
        // The handler's log lines and metrics come first; the result is the last line.
        const last = stdout.lastIndexOf('\n');
        resolve({ result: JSON.parse(stdout.slice(last + 1)), output: stdout.slice(0, Math.max(last, 0)) });
      }
    });
    child.stdin.end(JSON.stringify(event));
  });
}

/** Runs the handler of `bundle` (a file in `bundleDir`) on one event in a new Node process, and returns its result. */
export async function invokeBundled(bundleDir: string, bundle: string, env: Record<string, string>, event: unknown): Promise<unknown> {
  return (await runBundled(bundleDir, bundle, env, event)).result;
}
