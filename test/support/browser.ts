// Headless Chromium for the console's browser tests: Debian's `chromium` driven by puppeteer-core.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import type { Browser } from 'puppeteer-core' with { 'resolution-mode': 'import' };

type Puppeteer = typeof import('puppeteer-core', { with: { 'resolution-mode': 'import' } });

export const CHROMIUM = '/usr/bin/chromium';

let puppeteer: Puppeteer | undefined;

/**
 * puppeteer-core ships as ES modules, which jest's module loader can't require: it is bundled
 * once per run into a CommonJS file that jest can.
 */
function loadPuppeteer(): Puppeteer {
  if (!puppeteer) {
    const dir = mkdtempSync(join(tmpdir(), 'coldvault-puppeteer-'));
    const outfile = join(dir, 'puppeteer-core.cjs');
    buildSync({
      entryPoints: [require.resolve('puppeteer-core')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile,
      logLevel: 'error',
    });
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      puppeteer = require(outfile) as Puppeteer;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return puppeteer;
}

/**
 * A fresh headless Chromium with its own profile (a temporary one puppeteer removes when the
 * browser closes); fails with the fix when Chromium isn't installed.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`The browser tests need Debian's Chromium at ${CHROMIUM}: run \`apt-get install -y chromium\` (as .ci/run does).`);
  }
  return loadPuppeteer().launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
