// The web console in headless Chromium against the local server: a real browser, the real
// bundle, real signatures.
import { randomBytes } from 'node:crypto';
import { InitiateJobCommand, InitiateMultipartUploadCommand, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, HTTPRequest, Page } from 'puppeteer-core' with { 'resolution-mode': 'import' };
import { runAdmin } from '../../lambda/admin/cli';
import { treeHash } from '../../lambda/domain/checksums';
import { CONSOLE_CSP } from '../../lambda/http/console-assets';
import { buildConsole } from '../../console/build';
import { launchChromium } from '../support/browser';
import { ROOT_CREDENTIALS, startTestServer, type TestServer } from '../support/local-server';

jest.setTimeout(180_000);

const A = '123456789012';
const VAULT = 'console-test';
const DOCS = resolve(__dirname, '..', '..', 'docs');
const work = mkdtempSync(join(tmpdir(), 'coldvault-console-'));
const archive = randomBytes(5 * 1024 * 1024);

let server: TestServer;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];
const externalRequests: string[] = [];
const failedAssets: string[] = [];
let uploader: { accessKeyId: string; secretAccessKey: string };
/** While set, the console's requests it is true of wait in `held` until a test lets them go. */
let hold: ((request: HTTPRequest) => boolean) | undefined;
const held: HTTPRequest[] = [];
/** Every request the page sent, with the time it was sent. */
const sent: { url: string; at: number; signed: boolean }[] = [];

beforeAll(async () => {
  await buildConsole();
  // Retrieval jobs complete after a second.
  server = await startTestServer({ COLDVAULT_JOB_DELAY_SECONDS: '1' });
  const admin = (...args: string[]) => runAdmin([...args, '--data-dir', server.dataDir]);
  const vaultArn = `arn:aws:glacier:us-east-1:${A}:vaults/${VAULT}`;
  // May add archives and see them, never delete them.
  await admin(
    'users',
    'create',
    'uploader',
    '--account',
    A,
    '--policy',
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'glacier:DescribeVault',
            'glacier:InitiateMultipartUpload',
            'glacier:UploadMultipartPart',
            'glacier:CompleteMultipartUpload',
            'glacier:AbortMultipartUpload',
            'glacier:ListMultipartUploads',
            'coldvault:ListArchives',
          ],
          Resource: vaultArn,
        },
      ],
    }),
  );
  uploader = (await admin('keys', 'create', '--account', A, '--user', 'uploader')) as typeof uploader;

  browser = await launchChromium();
  page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  const origin = new URL(server.url).origin;
  await page.setRequestInterception(true);
  page.on('request', (request: HTTPRequest) => {
    const url = request.url();
    sent.push({ url, at: Date.now(), signed: 'authorization' in request.headers() });
    if (hold?.(request)) return void held.push(request);
    if (url.startsWith('blob:') || url.startsWith('data:') || new URL(url).origin === origin) return void request.continue();
    externalRequests.push(url);
    return void request.abort();
  });
  page.on('response', (response) => {
    if (new URL(response.url()).pathname.startsWith('/console/') && response.status() !== 200)
      failedAssets.push(`${response.status()} ${response.url()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`page error: ${String(error)}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    // Chromium logs each non-2xx answer as "Failed to load resource". The API's refusals and
    // "not set" answers (no access policy: 404) are the console's expected traffic, shown in
    // the page; anything else logged as an error is a fault.
    const from = message.location().url ?? '';
    if (
      /^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text()) &&
      !new URL(from, origin).pathname.startsWith('/console/')
    )
      return;
    consoleErrors.push(`${message.text()} (${from})`);
  });
  const cdp = await browser.target().createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: join(work, 'downloads') });
});

afterAll(async () => {
  await browser?.close();
  await server?.destroy();
  rmSync(work, { recursive: true, force: true });
});

const text = (selector: string) => page.$eval(selector, (element) => element.textContent ?? '');
// Page-side code is passed as text: this file is type-checked for Node, without the DOM's types.
const waitForText = (selector: string, expected: string, timeout = 30_000) =>
  page.waitForFunction(
    `[...document.querySelectorAll(${JSON.stringify(selector)})].some((element) => element.textContent.includes(${JSON.stringify(expected)}))`,
    { timeout },
  );

async function signIn(credentials: { accessKeyId: string; secretAccessKey: string }) {
  await page.waitForSelector('#access-key-id');
  await page.type('#access-key-id', credentials.accessKeyId);
  await page.type('#secret-access-key', credentials.secretAccessKey);
  await page.keyboard.press('Enter');
}

/** The table row of the archive with this description. */
async function archiveRow(description: string) {
  const row = await page.waitForSelector(`xpath///tr[th[normalize-space()="${description}"]]`);
  if (!row) throw new Error(`no row for ${description}`);
  return row;
}

/** Into the README's docs/ with UPDATE_SCREENSHOTS=1; otherwise beside the test's other files, leaving the tree as it was. */
function screenshot(name: string) {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? DOCS : work;
  mkdirSync(dir, { recursive: true });
  return page.screenshot({ path: join(dir, name), fullPage: true });
}

it('serves the console with its CSP, no-cache index and immutable hashed assets', async () => {
  const response = await page.goto(`${server.url}/console/`);
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-security-policy']).toBe(CONSOLE_CSP);
  expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
  expect(response?.headers()['cache-control']).toBe('no-cache');
  const script = (await page.evaluate(`document.querySelector('script[type=module]').src`)) as string;
  const asset = await fetch(script);
  expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  expect(asset.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
});

it('signs in with the root key and creates a vault', async () => {
  await signIn(ROOT_CREDENTIALS);
  await waitForText('#main', 'No vaults yet.');
  // The key is in this tab's session storage, and nowhere else the page can reach.
  const stored = await page.evaluate(
    `({ session: Object.keys(sessionStorage), local: Object.keys(localStorage), cookie: document.cookie })`,
  );
  expect(stored).toEqual({ session: ['coldvault.session'], local: [], cookie: '' });

  await page.type('#new-vault', VAULT);
  await page.click('xpath///button[normalize-space()="Create vault"]');
  await waitForText('h1', `Vault ${VAULT}`);
  await waitForText('#main', '0 archives, 0 bytes in all');
});

it('uploads a 5 MiB file as multipart, showing its progress', async () => {
  const file = join(work, 'five-mib.bin');
  writeFileSync(file, archive);
  // Every value the progress bar takes, as the page shows it.
  await page.evaluate(`{
    const bar = document.getElementById('upload-progress');
    const seen = (window.progressSeen = []);
    new MutationObserver(() => seen.push(bar.value / bar.max)).observe(bar, { attributes: true });
  }`);
  const input = await page.$('#upload-file');
  await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(file);
  await page.type('#upload-description', 'nightly/db-5mib');
  await page.click('xpath///button[normalize-space()="Upload"]');
  await waitForText('#upload-status', 'Uploaded “nightly/db-5mib” (5.0 MiB)', 60_000);
  const seen = (await page.evaluate('window.progressSeen')) as number[];
  // Five 1 MiB parts: the bar moves through the values in between.
  expect(seen.filter((value) => value > 0 && value < 1).length).toBeGreaterThanOrEqual(3);
  expect(seen[seen.length - 1]).toBe(1);
  await archiveRow('nightly/db-5mib');
  // The tree hash the browser computed is the archive's.
  expect(await text('#upload-status')).toContain(`tree hash ${treeHash(archive).toString('hex')},`);
});

it('finds the archive by its description', async () => {
  const other = join(work, 'notes.txt');
  writeFileSync(other, 'some notes');
  const input = await page.$('#upload-file');
  await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(other);
  await page.type('#upload-description', 'notes/2024');
  await page.click('xpath///button[normalize-space()="Upload"]');
  await waitForText('#upload-status', 'Uploaded “notes/2024”');
  await archiveRow('notes/2024');
  // The summary's live numbers follow.
  await waitForText('dd', '2, 5.0 MiB');

  await page.type('#archive-search', 'nightly/');
  await page.keyboard.press('Enter');
  await waitForText('#main', 'descriptions starting with “nightly/”');
  const rows = await page.$$eval('table[aria-label], .scroll table tbody tr th', (cells) => cells.map((cell) => cell.textContent));
  expect(rows).toContain('nightly/db-5mib');
  expect(rows).not.toContain('notes/2024');
  await screenshot('console-archives.png');
});

it('lists the vault with its live count, size and cost', async () => {
  await page.goto(`${server.url}/console/#/`);
  await page.waitForSelector(`xpath///tr[th[normalize-space()="${VAULT}"]]`);
  const cells = await page.$$eval(`xpath///tr[th[normalize-space()="${VAULT}"]]/td`, (tds) => tds.map((td) => td.textContent));
  // Created, inventory count, inventory size, last inventory, live count, live size, cost.
  expect(cells.slice(1, 6)).toEqual(['—', '—', 'none yet', '2', '5.0 MiB']);
  // 5 MiB and 10 bytes at GLACIER's $0.0036 per GB-month.
  expect(cells[6]).toBe('$0.000018');
  await waitForText('#main', 'This deployment keeps archives in GLACIER.');
  await screenshot('console-vaults.png');

  // At a phone's width the page doesn't overflow sideways: wide tables scroll in their own box.
  await page.setViewport({ width: 375, height: 800 });
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
  await page.goto(`${server.url}/console/#/vaults/${VAULT}`);
  await archiveRow('nightly/db-5mib');
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
  await page.setViewport({ width: 1100, height: 900 });

  // Keyboard: the first Tab reaches the skip link, and following it moves focus to the content.
  await page.goto(`${server.url}/console/#/`);
  await page.reload();
  await page.waitForSelector(`xpath///tr[th[normalize-space()="${VAULT}"]]`);
  await page.keyboard.press('Tab');
  expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
  await page.keyboard.press('Enter');
  expect(await page.evaluate('document.activeElement.id')).toBe('main');
});

it('starts a retrieval, downloads the output when complete, verified, with the same bytes', async () => {
  await page.goto(`${server.url}/console/#/vaults/${VAULT}`);
  const row = await archiveRow('nightly/db-5mib');
  const select = await row.$('select');
  await select?.select('Expedited');
  const retrieve = await row.$('xpath/.//button[normalize-space()="Retrieve"]');
  await retrieve?.click();
  await waitForText('#notice', 'Retrieval of “nightly/db-5mib” started (Expedited)');
  await waitForText('tr[data-job-id] td', 'Expedited');
  const download = await page.waitForSelector('xpath///tr[@data-job-id]//button[normalize-space()="Download"]', { timeout: 30_000 });
  expect(await text('tr[data-job-id]')).toContain('Succeeded');
  await screenshot('console-job.png');
  await download?.click();
  await waitForText('tr[data-job-id] [role=status]', 'tree hash verified', 60_000);
  const saved = join(work, 'downloads', 'nightly_db-5mib');
  for (let i = 0; i < 100 && !existsSync(saved); i += 1) await new Promise((r) => setTimeout(r, 100));
  expect(readdirSync(join(work, 'downloads'))).toEqual(['nightly_db-5mib']);
  expect(readFileSync(saved).equals(archive)).toBe(true);
});

it('deletes the archive after a confirmation that names it', async () => {
  const questions: string[] = [];
  page.once('dialog', (dialog) => {
    questions.push(dialog.message());
    void dialog.accept();
  });
  const row = await archiveRow('nightly/db-5mib');
  await (await row.$('xpath/.//button[normalize-space()="Delete"]'))?.click();
  await waitForText('#notice', 'Deleted “nightly/db-5mib”.');
  expect(questions).toHaveLength(1);
  expect(questions[0]).toContain('Delete the archive “nightly/db-5mib” (5.0 MiB');
  await waitForText('#main', '1 archives, 10 bytes in all');
  expect(await page.$(`xpath///tr[th[normalize-space()="nightly/db-5mib"]]`)).toBeNull();
});

it("an upload-only user's Delete is refused with the policy's message", async () => {
  await page.click('xpath///button[normalize-space()="Sign out"]');
  await signIn(uploader);
  // This key may not list vaults: the page says so, and the vault opens by name.
  await waitForText('#main', 'Not allowed: User: arn:aws:iam::123456789012:user/uploader is not authorized to perform: glacier:ListVaults');
  await page.type('#open-vault', VAULT);
  await page.click('xpath///button[normalize-space()="Open vault"]');
  const row = await archiveRow('notes/2024');
  page.once('dialog', (dialog) => void dialog.accept());
  await (await row.$('xpath/.//button[normalize-space()="Delete"]'))?.click();
  await waitForText('#notice', 'Not allowed:');
  expect(await text('#notice')).toBe(
    `Not allowed: User: arn:aws:iam::${A}:user/uploader is not authorized to perform: glacier:DeleteArchive on resource: arn:aws:glacier:us-east-1:${A}:vaults/${VAULT}`,
  );
  // Still there.
  await waitForText('#main', '1 archives, 10 bytes in all');
});

it('signing out while a vault is loading stops it: no request is signed with the key afterwards, no timer keeps polling', async () => {
  const glacier = server.client();
  const { archiveId } = await glacier.send(new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, body: randomBytes(10) }));
  // The paths signed after the user signed out, by the request held while the view loaded.
  const signedAfter: Record<string, string[]> = {};
  await page.click('xpath///button[normalize-space()="Sign out"]');
  // Held: the vault's first request (DescribeVault), the last before its timers start (ListJobs), and ListVaults.
  for (const [from, to, path] of [
    ['#/', `#/vaults/${VAULT}`, `/-/vaults/${VAULT}`],
    ['#/', `#/vaults/${VAULT}`, `/-/vaults/${VAULT}/jobs`],
    [`#/vaults/${VAULT}`, '#/', '/-/vaults'],
  ]) {
    await signIn(ROOT_CREDENTIALS);
    await page.waitForSelector(`xpath///tr[th[normalize-space()="${VAULT}"]]`);
    if (from !== '#/') {
      await page.evaluate(`location.hash = '${from}'`);
      await page.waitForSelector('tr[data-job-id]');
    }
    hold = (request) => new URL(request.url()).pathname === path;
    await page.evaluate(`location.hash = '${to}'`);
    for (let i = 0; i < 100 && held.length === 0; i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(held).toHaveLength(1);
    hold = undefined;
    await page.click('xpath///button[normalize-space()="Sign out"]');
    await page.waitForSelector('#access-key-id');
    const signedOut = Date.now();
    // A job under way when the held answer comes: a view still running would poll it.
    await glacier.send(
      new InitiateJobCommand({ accountId: '-', vaultName: VAULT, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }),
    );
    await (held.pop() as HTTPRequest).continue();
    await new Promise((r) => setTimeout(r, 4000));
    signedAfter[path] = sent.filter((request) => request.signed && request.at > signedOut).map((request) => new URL(request.url).pathname);
  }
  expect(signedAfter).toEqual({ [`/-/vaults/${VAULT}`]: [], [`/-/vaults/${VAULT}/jobs`]: [], '/-/vaults': [] });
});

it('an address naming a vault in broken percent-encoding is refused in the page, not with an uncaught error', async () => {
  await signIn(ROOT_CREDENTIALS);
  await page.waitForSelector(`xpath///tr[th[normalize-space()="${VAULT}"]]`);
  const errors = consoleErrors.length;
  await page.evaluate(`location.hash = '#/vaults/%E0'`);
  await waitForText('#notice', 'The address #/vaults/%E0 names no vault');
  await page.waitForSelector(`xpath///tr[th[normalize-space()="${VAULT}"]]`);
  expect(consoleErrors.slice(errors)).toEqual([]);
});

it('shows markup in descriptions, and in a vault name it refuses, as text, and runs none of it', async () => {
  const markup = (what: string) => `<img src=x onerror=window.ran='${what}'><script>window.ran='${what}'</script>`;
  const glacier = server.client();
  const { archiveId } = await glacier.send(
    new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, archiveDescription: markup('archive'), body: randomBytes(10) }),
  );
  await glacier.send(
    new InitiateMultipartUploadCommand({ accountId: '-', vaultName: VAULT, archiveDescription: markup('upload'), partSize: '1048576' }),
  );
  await glacier.send(
    new InitiateJobCommand({
      accountId: '-',
      vaultName: VAULT,
      jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Description: markup('job') },
    }),
  );
  await page.evaluate(`location.hash = '#/vaults/${VAULT}'`);
  await archiveRow(markup('archive'));
  await archiveRow(markup('upload'));
  await waitForText('tr[data-job-id] th', markup('archive'));

  await page.evaluate(`location.hash = '#/vaults/' + encodeURIComponent(${JSON.stringify(markup('name'))})`);
  await waitForText('h1', `Vault ${markup('name')}`);
  await waitForText('#main', 'Not accepted:');
  expect(await page.evaluate(`[document.querySelectorAll('img, body script').length, window.ran ?? null]`)).toEqual([0, null]);
});

it("downloads the output of a job that retrieves a range of an archive, verified against the range's tree hash", async () => {
  const bytes = randomBytes(3 * 1024 * 1024);
  const glacier = server.client();
  const { archiveId } = await glacier.send(
    new UploadArchiveCommand({ accountId: '-', vaultName: VAULT, archiveDescription: 'ranged', body: bytes }),
  );
  // Started elsewhere (the CLI, an SDK): the console lists it as any other job.
  const { jobId } = await glacier.send(
    new InitiateJobCommand({
      accountId: '-',
      vaultName: VAULT,
      jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited', RetrievalByteRange: '0-1048575' },
    }),
  );
  await page.goto(`${server.url}/console/#/vaults/${VAULT}`);
  const download = await page.waitForSelector(`xpath///tr[@data-job-id="${jobId}"]//button[normalize-space()="Download"]`, {
    timeout: 30_000,
  });
  await download?.click();
  await waitForText(`tr[data-job-id="${jobId}"] [role=status]`, 'tree hash verified', 15_000);
  const saved = join(work, 'downloads', 'ranged');
  for (let i = 0; i < 100 && !existsSync(saved); i += 1) await new Promise((r) => setTimeout(r, 100));
  expect(readFileSync(saved).equals(bytes.subarray(0, 1024 * 1024))).toBe(true);

  // 2 MiB from 1 MiB on is not tree-hash aligned: the job has no tree hash, and the page doesn't claim one was checked.
  const unaligned = await glacier.send(
    new InitiateJobCommand({
      accountId: '-',
      vaultName: VAULT,
      jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited', RetrievalByteRange: '1048576-3145727' },
    }),
  );
  await page.reload();
  const second = await page.waitForSelector(`xpath///tr[@data-job-id="${unaligned.jobId}"]//button[normalize-space()="Download"]`, {
    timeout: 30_000,
  });
  await second?.click();
  await waitForText(`tr[data-job-id="${unaligned.jobId}"] [role=status]`, 'Saved 2.0 MiB; no tree hash to verify it against.', 15_000);
});

it('made no external request, logged no error, and served every console file', () => {
  expect(externalRequests).toEqual([]);
  expect(consoleErrors).toEqual([]);
  expect(failedAssets).toEqual([]);
  expect(server.errorsLogged).toEqual([]);
});
