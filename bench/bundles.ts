// Each Lambda function's bundle, built with the deployed esbuild settings: its size, and how
// long a fresh Node process takes to load it (the module initialisation part of a cold start).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { LAMBDA_ESBUILD } from '../lib/bundling';
import { percentile, round } from './measure';

const HANDLERS = resolve(__dirname, '..', 'lambda', 'handlers');
const LOADS = 5;
// The Lambda runtime's globals that a response-streaming handler wraps itself in at load.
const RUNTIME_GLOBALS = 'globalThis.awslambda = { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };';
const LOAD = `${RUNTIME_GLOBALS} const t = process.hrtime.bigint(); require(process.argv[1]); console.log(Number(process.hrtime.bigint() - t) / 1e6)`;

export interface BundleFigures {
  handler: string;
  kib: number;
  gzipKiB: number;
  sourceMapKiB: number;
  /** Median of `LOADS` loads with NODE_OPTIONS=--enable-source-maps, as the functions are deployed. */
  initMs: number;
  /** The same without source maps. */
  initMsWithoutSourceMaps: number;
}

/** Milliseconds `require` of `file` takes in a new Node process. */
function loadMs(file: string, nodeOptions: string): number {
  const out = execFileSync(process.execPath, ['-e', LOAD, file], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return Number(out.trim().split('\n').pop());
}

const medianLoadMs = (file: string, nodeOptions: string) =>
  percentile(
    Array.from({ length: LOADS }, () => loadMs(file, nodeOptions)),
    50,
  );

export async function lambdaBundles(): Promise<BundleFigures[]> {
  const dir = mkdtempSync(join(tmpdir(), 'coldvault-bundles-'));
  try {
    const figures: BundleFigures[] = [];
    for (const entry of readdirSync(HANDLERS)
      .filter((name) => name.endsWith('.ts'))
      .sort()) {
      const handler = basename(entry, '.ts');
      const outfile = join(dir, handler, 'index.js');
      await build({ ...LAMBDA_ESBUILD, entryPoints: [join(HANDLERS, entry)], outfile, logLevel: 'silent' });
      const code = readFileSync(outfile);
      figures.push({
        handler,
        kib: round(code.length / 1024),
        gzipKiB: round(gzipSync(code).length / 1024),
        sourceMapKiB: round(statSync(`${outfile}.map`).size / 1024),
        initMs: round(medianLoadMs(outfile, '--enable-source-maps')),
        initMsWithoutSourceMaps: round(medianLoadMs(outfile, '')),
      });
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function bundleRows(bundles: BundleFigures[]): [string, string][] {
  return [
    [`Lambda bundles (minified; init = median of ${LOADS} loads)`, 'size / gzip (source map), init with / without source maps'],
    ...bundles.map((b): [string, string] => [
      `  ${b.handler}`,
      `${b.kib} KiB / ${b.gzipKiB} KiB (${b.sourceMapKiB} KiB), ${b.initMs} ms / ${b.initMsWithoutSourceMaps} ms`,
    ]),
  ];
}
