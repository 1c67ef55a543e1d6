// The coldvault web console: a Glacier client in the page, views drawn from plain DOM.
import {
  AbortMultipartUploadCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DescribeVaultCommand,
  GetVaultAccessPolicyCommand,
  GetVaultLockCommand,
  GetVaultNotificationsCommand,
  InitiateJobCommand,
  ListJobsCommand,
  ListMultipartUploadsCommand,
  ListTagsForVaultCommand,
  ListVaultsCommand,
  type DescribeVaultOutput,
  type GlacierClient,
  type GlacierJobDescription,
} from '@aws-sdk/client-glacier';
import { downloadJobOutput, saveFile } from './download';
import { append, bytes, date, h, replace, table } from './dom';
import { glacierClient, isNotFound, listLiveArchives, plainError, type LiveArchive, type LiveListing } from './glacier';
import { PRICE_REGION, STORAGE_PRICES, monthlyCost, usd } from './prices';
import { currentSession, signIn, signOut, type Session } from './session';
import { uploadFile } from './upload';

const main = document.getElementById('main') as HTMLElement;
const notice = document.getElementById('notice') as HTMLElement;
const account = document.getElementById('account') as HTMLElement;

/** Aborted when another view is drawn (or the user signs out): a view still loading then stops. */
let shown = new AbortController();
const TIERS = ['Expedited', 'Standard', 'Bulk'] as const;
/** Glacier's published retrieval times, for deployments where a restore takes as long as it takes. */
const TYPICAL_RETRIEVAL: Record<string, string> = { Expedited: '1–5 minutes', Standard: '3–5 hours', Bulk: '5–12 hours' };

function showError(error: unknown): void {
  replace(notice, h('p', { class: 'error' }, plainError(error)));
  notice.focus();
}

function clearNotice(): void {
  replace(notice);
}

/** Runs an action from a button, keeping it from running twice at once and showing its failure. */
function action(button: HTMLButtonElement, run: () => Promise<void>): void {
  button.addEventListener('click', async () => {
    if (button.disabled) return;
    button.disabled = true;
    clearNotice();
    try {
      await run();
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  });
}

function submitForm(form: HTMLFormElement, run: (data: FormData) => Promise<void>): void {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]') as HTMLButtonElement | null;
    if (button) button.disabled = true;
    clearNotice();
    try {
      await run(new FormData(form));
    } catch (error) {
      showError(error);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

const field = (data: FormData, name: string) => String(data.get(name) ?? '').trim();

function heading(text: string): void {
  document.title = `${text} · coldvault console`;
}

// ---- Signing in ---------------------------------------------------------------------------

function drawAccount(session: Session | undefined): void {
  if (!session) return replace(account);
  const out = h('button', { type: 'button' }, 'Sign out');
  out.addEventListener('click', () => {
    signOut();
    // One render: a change of address renders on its own (hashchange), and a second render would
    // replace the sign-in form under a user already typing into it.
    if (location.hash === '#/') render();
    else location.hash = '#/';
  });
  replace(account, h('span', { class: 'who' }, `${session.accessKeyId} · ${session.region}`), ' ', out);
}

function signInView(): void {
  heading('Sign in');
  const form = h(
    'form',
    { class: 'stack', 'aria-labelledby': 'sign-in-title' },
    h('label', { for: 'access-key-id' }, 'Access key ID'),
    h('input', { id: 'access-key-id', name: 'accessKeyId', required: true, autocomplete: 'username', spellcheck: 'false' }),
    h('label', { for: 'secret-access-key' }, 'Secret access key'),
    h('input', { id: 'secret-access-key', name: 'secretAccessKey', type: 'password', required: true, autocomplete: 'current-password' }),
    h('label', { for: 'region' }, 'Region'),
    h('input', { id: 'region', name: 'region', required: true, value: 'us-east-1', spellcheck: 'false' }),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  submitForm(form, async (data) => {
    signIn({ accessKeyId: field(data, 'accessKeyId'), secretAccessKey: field(data, 'secretAccessKey'), region: field(data, 'region') });
    render();
  });
  replace(
    main,
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    h('p', {}, 'The key stays in this tab only (its session storage) and is used to sign requests to this endpoint; it is never sent.'),
    form,
  );
}

// ---- Vaults -------------------------------------------------------------------------------

async function allVaults(glacier: GlacierClient): Promise<DescribeVaultOutput[]> {
  const vaults: DescribeVaultOutput[] = [];
  let marker: string | undefined;
  do {
    const page = await glacier.send(new ListVaultsCommand({ accountId: '-', marker, limit: 10 }));
    vaults.push(...(page.VaultList ?? []));
    marker = page.Marker ?? undefined;
  } while (marker);
  return vaults;
}

function vaultLink(name: string): HTMLAnchorElement {
  return h('a', { href: `#/vaults/${encodeURIComponent(name)}` }, name);
}

function priceTable(storageClass: string | null): HTMLElement {
  return h(
    'section',
    { 'aria-labelledby': 'prices-title' },
    h('h2', { id: 'prices-title' }, 'Prices the estimate assumes'),
    h(
      'p',
      {},
      `Storage only, per GB (2^30 bytes) and month, list prices in ${PRICE_REGION}; requests and retrievals are not included. `,
      storageClass ? `This deployment keeps archives in ${storageClass}.` : 'The storage class of this deployment is not known.',
    ),
    table(
      'Storage prices',
      ['Storage class', 'Name', 'USD per GB-month'],
      STORAGE_PRICES.map((price) =>
        h(
          'tr',
          { class: price.storageClass === storageClass ? 'current' : undefined },
          h('td', {}, price.storageClass, price.storageClass === storageClass ? ' (this deployment)' : ''),
          h('td', {}, price.name),
          h('td', { class: 'number' }, `$${price.usdPerGbMonth}`),
        ),
      ),
    ),
  );
}

async function vaultsView(session: Session, glacier: GlacierClient, signal: AbortSignal): Promise<void> {
  heading('Vaults');
  const create = h(
    'form',
    { class: 'inline' },
    h('label', { for: 'new-vault' }, 'Vault name'),
    h('input', { id: 'new-vault', name: 'vaultName', required: true, pattern: '[A-Za-z0-9_.\\-]{1,255}', spellcheck: 'false' }),
    h('button', { type: 'submit' }, 'Create vault'),
  );
  submitForm(create, async (data) => {
    const vaultName = field(data, 'vaultName');
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    location.hash = `#/vaults/${encodeURIComponent(vaultName)}`;
  });
  const open = h(
    'form',
    { class: 'inline' },
    h('label', { for: 'open-vault' }, 'Vault name'),
    h('input', { id: 'open-vault', name: 'vaultName', required: true, spellcheck: 'false' }),
    h('button', { type: 'submit' }, 'Open vault'),
  );
  submitForm(open, async (data) => {
    location.hash = `#/vaults/${encodeURIComponent(field(data, 'vaultName'))}`;
  });
  const list = h(
    'section',
    { 'aria-labelledby': 'vaults-title', 'aria-busy': 'true' },
    h('h2', { id: 'vaults-title' }, 'Your vaults'),
    h('p', {}, 'Loading…'),
  );
  const prices = h('div');
  replace(
    main,
    h('h1', {}, 'Vaults'),
    list,
    h('section', { 'aria-labelledby': 'create-title' }, h('h2', { id: 'create-title' }, 'Create a vault'), create),
    h('section', { 'aria-labelledby': 'open-title' }, h('h2', { id: 'open-title' }, 'Open a vault by name'), open),
    prices,
  );

  let vaults: DescribeVaultOutput[];
  try {
    vaults = await allVaults(glacier);
  } catch (error) {
    replace(list, h('h2', { id: 'vaults-title' }, 'Your vaults'), h('p', { class: 'error' }, plainError(error)));
    list.removeAttribute('aria-busy');
    replace(prices, priceTable(null));
    return;
  }
  if (signal.aborted) return;
  const live = await Promise.all(
    vaults.map((vault) => listLiveArchives(session, vault.VaultName ?? '', { limit: 1 }).catch((error: unknown) => error as Error)),
  );
  const storageClass = live.find((entry): entry is LiveListing => !(entry instanceof Error))?.StorageClass ?? null;
  let total = 0;
  const rows = vaults.map((vault, i) => {
    const entry = live[i];
    const known = entry instanceof Error ? undefined : entry;
    const cost = known && monthlyCost(known.SizeInBytes, known.StorageClass);
    total += cost ?? 0;
    const refused = entry instanceof Error ? plainError(entry) : undefined;
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, vaultLink(vault.VaultName ?? '')),
      h('td', { class: 'date' }, date(vault.CreationDate)),
      h('td', { class: 'number' }, vault.LastInventoryDate ? String(vault.NumberOfArchives ?? 0) : '—'),
      h('td', { class: 'number' }, vault.LastInventoryDate ? bytes(vault.SizeInBytes) : '—'),
      h('td', {}, vault.LastInventoryDate ? date(vault.LastInventoryDate) : 'none yet'),
      h('td', { class: 'number', title: refused }, known ? String(known.NumberOfArchives) : '—'),
      h('td', { class: 'number', title: refused }, known ? bytes(known.SizeInBytes) : '—'),
      h('td', { class: 'number' }, usd(cost)),
    );
  });
  replace(
    list,
    h('h2', { id: 'vaults-title' }, 'Your vaults'),
    vaults.length === 0
      ? h('p', {}, 'No vaults yet.')
      : table(
          `${vaults.length} vault${vaults.length === 1 ? '' : 's'}`,
          [
            'Vault',
            'Created',
            'Archives (inventory)',
            'Size (inventory)',
            'Last inventory',
            'Archives (live)',
            'Size (live)',
            'Est. monthly cost',
          ],
          rows,
        ),
    vaults.length > 0 && h('p', { class: 'total' }, 'Estimated monthly cost of all vaults: ', h('strong', {}, usd(total))),
  );
  list.removeAttribute('aria-busy');
  replace(prices, priceTable(storageClass));
}

// ---- One vault ----------------------------------------------------------------------------

async function setting<T>(load: () => Promise<T>, describe: (value: T) => string): Promise<string> {
  try {
    return describe(await load());
  } catch (error) {
    return isNotFound(error) ? 'none' : `unknown (${plainError(error)})`;
  }
}

async function vaultSummary(
  session: Session,
  glacier: GlacierClient,
  vaultName: string,
  into: HTMLElement,
): Promise<LiveListing | undefined> {
  const accountId = '-';
  const [vault, live, tags, notifications, policy, lock] = await Promise.all([
    glacier.send(new DescribeVaultCommand({ accountId, vaultName })).catch((error: unknown) => error as Error),
    listLiveArchives(session, vaultName, { limit: 1 }).catch((error: unknown) => error as Error),
    setting(
      () => glacier.send(new ListTagsForVaultCommand({ accountId, vaultName })),
      (out) =>
        Object.entries(out.Tags ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || 'none',
    ),
    setting(
      () => glacier.send(new GetVaultNotificationsCommand({ accountId, vaultName })),
      (out) => `${out.vaultNotificationConfig?.SNSTopic ?? ''} (${(out.vaultNotificationConfig?.Events ?? []).join(', ')})`,
    ),
    setting(
      () => glacier.send(new GetVaultAccessPolicyCommand({ accountId, vaultName })),
      (out) => (out.policy?.Policy ? 'set' : 'none'),
    ),
    setting(
      () => glacier.send(new GetVaultLockCommand({ accountId, vaultName })),
      (out) => `${out.State ?? 'unknown'}${out.State === 'InProgress' && out.ExpirationDate ? ` until ${date(out.ExpirationDate)}` : ''}`,
    ),
  ]);
  const described = vault instanceof Error ? undefined : vault;
  const listing = live instanceof Error ? undefined : live;
  const item = (term: string, value: string) => [h('dt', {}, term), h('dd', {}, value)];
  replace(
    into,
    h('h2', { id: 'summary-title' }, 'Summary'),
    vault instanceof Error && h('p', { class: 'error' }, plainError(vault)),
    h(
      'dl',
      {},
      ...item('Created', date(described?.CreationDate)),
      ...item('Last inventory', described?.LastInventoryDate ? date(described.LastInventoryDate) : 'none yet'),
      ...item(
        'Archives as of the inventory',
        described?.LastInventoryDate ? `${described.NumberOfArchives ?? 0}, ${bytes(described.SizeInBytes)}` : '—',
      ),
      ...item(
        'Archives now (live)',
        listing ? `${listing.NumberOfArchives}, ${bytes(listing.SizeInBytes)}` : `unknown (${plainError(live)})`,
      ),
      ...item(
        'Estimated monthly cost',
        listing
          ? `${usd(monthlyCost(listing.SizeInBytes, listing.StorageClass))} (${listing.StorageClass ?? 'unknown storage class'})`
          : '—',
      ),
      ...item('Tags', tags),
      ...item('Notifications', notifications),
      ...item('Access policy', policy),
      ...item('Vault lock', lock),
    ),
  );
  return listing;
}

function fileName(description: string, archiveId: string): string {
  const base = description.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '');
  return base || `archive-${archiveId.slice(0, 12)}`;
}

function countdown(job: GlacierJobDescription, retrievalSeconds: Record<string, number> | null | undefined, now: number): string {
  if (job.Completed) return job.CompletionDate ? `done ${date(job.CompletionDate)}` : 'done';
  const tier = job.Tier ?? 'Standard';
  const seconds = retrievalSeconds?.[tier];
  if (seconds === undefined || !job.CreationDate) return `typically ${TYPICAL_RETRIEVAL[tier] ?? 'hours'}`;
  const left = Math.ceil((Date.parse(job.CreationDate) + seconds * 1000 - now) / 1000);
  if (left <= 0) return 'any moment now';
  const h_ = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = left % 60;
  return `in ${h_ > 0 ? `${h_}:${String(m).padStart(2, '0')}` : m}:${String(s).padStart(2, '0')}`;
}

async function vaultView(session: Session, glacier: GlacierClient, vaultName: string, signal: AbortSignal): Promise<void> {
  heading(`Vault ${vaultName}`);
  const accountId = '-';
  const summary = h('section', { 'aria-labelledby': 'summary-title' }, h('h2', { id: 'summary-title' }, 'Summary'), h('p', {}, 'Loading…'));
  const archivesBody = h('div');
  const jobsBody = h('div');
  const uploadsBody = h('div');
  let retrievalSeconds: Record<string, number> | null | undefined;
  const descriptions = new Map<string, string>();

  // Upload.
  const progress = h('progress', { id: 'upload-progress', max: 1, value: 0, 'aria-label': 'Upload progress' });
  const progressText = h('p', { id: 'upload-status', role: 'status' });
  const uploadForm = h(
    'form',
    { class: 'stack' },
    h('label', { for: 'upload-file' }, 'File'),
    h('input', { id: 'upload-file', name: 'file', type: 'file', required: true }),
    h('label', { for: 'upload-description' }, 'Description'),
    h('input', { id: 'upload-description', name: 'description', maxlength: 1024 }),
    h('button', { type: 'submit' }, 'Upload'),
    progress,
    progressText,
  );
  submitForm(uploadForm, async (data) => {
    const file = data.get('file');
    if (!(file instanceof File) || file.size === 0) throw new Error('Choose a file that is not empty.');
    const description = field(data, 'description') || file.name;
    const result = await uploadFile(glacier, vaultName, file, description, (sent, total) => {
      progress.max = total;
      progress.value = sent;
      progressText.textContent = `Uploading “${description}”: ${bytes(sent)} of ${bytes(total)} (${Math.floor((sent / total) * 100)}%)`;
    });
    progressText.textContent = `Uploaded “${description}” (${bytes(file.size)}), tree hash ${result.treeHash}, archive ID ${result.archiveId}`;
    uploadForm.reset();
    await Promise.all([loadArchives(), loadUploads(), vaultSummary(session, glacier, vaultName, summary)]);
  });

  // Archives.
  const search = h(
    'form',
    { class: 'inline', role: 'search' },
    h('label', { for: 'archive-search' }, 'Description starts with'),
    h('input', { id: 'archive-search', name: 'prefix', type: 'search', spellcheck: 'false' }),
    h('button', { type: 'submit' }, 'Search'),
  );
  let prefix = '';
  submitForm(search, async (data) => {
    prefix = String(data.get('prefix') ?? '');
    await loadArchives();
  });

  function archiveRow(archive: LiveArchive): HTMLTableRowElement {
    descriptions.set(archive.ArchiveId, archive.ArchiveDescription);
    const tierId = `tier-${archive.ArchiveId.slice(0, 16)}`;
    const tier = h('select', { id: tierId, name: 'tier' }, ...TIERS.map((t) => h('option', { value: t, selected: t === 'Standard' }, t)));
    const retrieve = h('button', { type: 'button' }, 'Retrieve');
    action(retrieve, async () => {
      const job = await glacier.send(
        new InitiateJobCommand({
          accountId,
          vaultName,
          jobParameters: {
            Type: 'archive-retrieval',
            ArchiveId: archive.ArchiveId,
            Tier: tier.value,
            Description: archive.ArchiveDescription.slice(0, 1024),
          },
        }),
      );
      replace(notice, h('p', { class: 'info' }, `Retrieval of “${archive.ArchiveDescription}” started (${tier.value}), job ${job.jobId}.`));
      await loadJobs();
    });
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
    action(remove, async () => {
      const name = archive.ArchiveDescription || archive.ArchiveId;
      if (!confirm(`Delete the archive “${name}” (${bytes(archive.Size)}, created ${date(archive.CreationDate)})? This cannot be undone.`))
        return;
      await glacier.send(new DeleteArchiveCommand({ accountId, vaultName, archiveId: archive.ArchiveId }));
      replace(notice, h('p', { class: 'info' }, `Deleted “${name}”.`));
      await Promise.all([loadArchives(), vaultSummary(session, glacier, vaultName, summary)]);
    });
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, archive.ArchiveDescription || h('em', {}, '(no description)')),
      h('td', { class: 'number' }, bytes(archive.Size)),
      h('td', { class: 'date' }, date(archive.CreationDate)),
      h('td', {}, h('code', { title: archive.SHA256TreeHash }, `${archive.SHA256TreeHash.slice(0, 12)}…`)),
      h(
        'td',
        { class: 'actions' },
        h('label', { for: tierId, class: 'visually-hidden' }, `Tier for ${archive.ArchiveDescription}`),
        tier,
        retrieve,
        remove,
      ),
    );
  }

  async function loadArchives(marker?: string, into?: HTMLTableSectionElement): Promise<void> {
    let listing: LiveListing;
    try {
      listing = await listLiveArchives(session, vaultName, { limit: 50, marker, descriptionPrefix: prefix || undefined });
    } catch (error) {
      replace(archivesBody, h('p', { class: 'error' }, plainError(error)));
      return;
    }
    retrievalSeconds = listing.RetrievalSeconds;
    const rows = listing.ArchiveList.map(archiveRow);
    const more = listing.Marker ? h('button', { type: 'button' }, 'Show more') : undefined;
    if (into) {
      append(into, ...rows);
      archivesBody.querySelector('.more')?.remove();
    } else {
      replace(
        archivesBody,
        h(
          'p',
          {},
          `${listing.NumberOfArchives} archives, ${bytes(listing.SizeInBytes)} in all; newest first${prefix ? `, descriptions starting with “${prefix}”` : ''}.`,
        ),
        listing.ArchiveList.length === 0
          ? h('p', {}, 'No archives match.')
          : table('Archives', ['Description', 'Size', 'Created', 'Tree hash', 'Actions'], rows),
      );
    }
    if (more) {
      const body = archivesBody.querySelector('tbody') as HTMLTableSectionElement;
      action(more, () => loadArchives(listing.Marker ?? undefined, body));
      append(archivesBody, h('p', { class: 'more' }, more));
    }
  }

  // Jobs.
  let jobs: GlacierJobDescription[] = [];
  const drawJobs = () => {
    const now = Date.now();
    if (jobs.length === 0) return replace(jobsBody, h('p', {}, 'No jobs.'));
    const rows = jobs.map((job) => {
      const what =
        job.Action === 'ArchiveRetrieval'
          ? `Archive “${descriptions.get(job.ArchiveId ?? '') ?? job.JobDescription ?? job.ArchiveId?.slice(0, 12)}”`
          : 'Inventory';
      const cell = h('td', { class: 'actions' });
      if (job.Completed && job.StatusCode === 'Succeeded' && job.Action === 'ArchiveRetrieval') {
        const download = h('button', { type: 'button' }, 'Download');
        const status = h('span', { role: 'status' });
        action(download, async () => {
          // The job's output is its byte range of the archive: all of it, or the part asked for.
          const range = /^(\d+)-(\d+)$/.exec(job.RetrievalByteRange ?? '');
          const size = range ? Number(range[2]) - Number(range[1]) + 1 : (job.ArchiveSizeInBytes ?? 0);
          const got = await downloadJobOutput(glacier, vaultName, job.JobId ?? '', size, (received, total) => {
            status.textContent = `${bytes(received)} of ${bytes(total)}`;
          });
          const expected = job.SHA256TreeHash ?? (size === job.ArchiveSizeInBytes ? job.ArchiveSHA256TreeHash : undefined);
          if (expected && got.treeHash !== expected) {
            status.textContent = 'Not saved: the bytes did not match the tree hash.';
            throw new Error(`The downloaded bytes' tree hash ${got.treeHash} is not the archive's ${expected}; nothing was saved.`);
          }
          saveFile(got.bytes, fileName(descriptions.get(job.ArchiveId ?? '') ?? job.JobDescription ?? '', job.ArchiveId ?? ''));
          status.textContent = `Saved ${bytes(size)}; ${expected ? 'tree hash verified' : 'no tree hash to verify it against'}.`;
        });
        append(cell, download, ' ', status);
      }
      return h(
        'tr',
        { 'data-job-id': job.JobId },
        h('th', { scope: 'row' }, what),
        h('td', {}, job.StatusCode ?? ''),
        h('td', {}, job.Tier ?? '—'),
        h('td', {}, date(job.CreationDate)),
        h('td', { class: 'countdown' }, countdown(job, retrievalSeconds, now)),
        cell,
      );
    });
    replace(jobsBody, table('Jobs', ['Job', 'Status', 'Tier', 'Started', 'Ready', 'Output'], rows));
  };
  async function loadJobs(): Promise<void> {
    try {
      const found: GlacierJobDescription[] = [];
      let marker: string | undefined;
      do {
        const page = await glacier.send(new ListJobsCommand({ accountId, vaultName, marker }));
        found.push(...(page.JobList ?? []));
        marker = page.Marker ?? undefined;
      } while (marker);
      jobs = found.sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''));
      drawJobs();
    } catch (error) {
      replace(jobsBody, h('p', { class: 'error' }, plainError(error)));
    }
  }
  const refreshJobs = h('button', { type: 'button' }, 'Refresh jobs');
  action(refreshJobs, loadJobs);

  // Multipart uploads in progress.
  async function loadUploads(): Promise<void> {
    try {
      const page = await glacier.send(new ListMultipartUploadsCommand({ accountId, vaultName }));
      const uploads = page.UploadsList ?? [];
      if (uploads.length === 0) return replace(uploadsBody, h('p', {}, 'None.'));
      const rows = uploads.map((upload) => {
        const abort = h('button', { type: 'button', class: 'danger' }, 'Abort');
        action(abort, async () => {
          if (!confirm(`Abort the upload of “${upload.ArchiveDescription ?? upload.MultipartUploadId}”? Its parts are discarded.`)) return;
          await glacier.send(new AbortMultipartUploadCommand({ accountId, vaultName, uploadId: upload.MultipartUploadId }));
          await loadUploads();
        });
        return h(
          'tr',
          {},
          h('th', { scope: 'row' }, upload.ArchiveDescription || h('em', {}, '(no description)')),
          h('td', {}, date(upload.CreationDate)),
          h('td', { class: 'number' }, bytes(upload.PartSizeInBytes)),
          h('td', { class: 'actions' }, abort),
        );
      });
      replace(uploadsBody, table('Uploads in progress', ['Description', 'Started', 'Part size', 'Actions'], rows));
    } catch (error) {
      replace(uploadsBody, h('p', { class: 'error' }, plainError(error)));
    }
  }

  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Vaults'), ' / ', vaultName),
    h('h1', {}, `Vault ${vaultName}`),
    summary,
    h('section', { 'aria-labelledby': 'upload-title' }, h('h2', { id: 'upload-title' }, 'Upload an archive'), uploadForm),
    h('section', { 'aria-labelledby': 'archives-title' }, h('h2', { id: 'archives-title' }, 'Archives'), search, archivesBody),
    h('section', { 'aria-labelledby': 'jobs-title' }, h('h2', { id: 'jobs-title' }, 'Jobs'), h('p', {}, refreshJobs), jobsBody),
    h('section', { 'aria-labelledby': 'uploads-title' }, h('h2', { id: 'uploads-title' }, 'Uploads in progress'), uploadsBody),
  );
  await Promise.all([vaultSummary(session, glacier, vaultName, summary), loadArchives(), loadUploads()]);
  if (signal.aborted) return;
  await loadJobs();
  if (signal.aborted) return;
  // Jobs under way: ask again every few seconds, and tick the countdowns every second.
  const timers = [
    window.setInterval(() => {
      if (jobs.some((job) => !job.Completed)) void loadJobs();
    }, 3000),
    window.setInterval(() => {
      for (const cell of jobsBody.querySelectorAll<HTMLElement>('tr[data-job-id] .countdown')) {
        const job = jobs.find((j) => j.JobId === cell.parentElement?.dataset.jobId);
        if (job && !job.Completed) cell.textContent = countdown(job, retrievalSeconds, Date.now());
      }
    }, 1000),
  ];
  signal.addEventListener('abort', () => timers.forEach((timer) => clearInterval(timer)));
}

// ---- Routing ------------------------------------------------------------------------------

function render(): void {
  shown.abort();
  shown = new AbortController();
  clearNotice();
  const session = currentSession();
  drawAccount(session);
  if (!session) return signInView();
  const glacier = glacierClient(session);
  const vault = /^#\/vaults\/([^/]+)$/.exec(location.hash);
  const vaultName = vault ? decoded(vault[1]) : undefined;
  const view = vaultName !== undefined ? vaultView(session, glacier, vaultName, shown.signal) : vaultsView(session, glacier, shown.signal);
  view.catch(showError);
  if (vault && vaultName === undefined)
    showError(new Error(`The address ${location.hash} names no vault: it is not valid percent-encoding.`));
}

function decoded(component: string): string | undefined {
  try {
    return decodeURIComponent(component);
  } catch {
    return undefined;
  }
}

window.addEventListener('hashchange', render);
render();
