// The admin command's vault subcommands: import, inventory, vaults empty.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MiB } from '../domain/checksums';
import { GlacierError } from '../domain/errors';
import { readAdminEnv, readLocalConfig } from '../config';
import { DestinationError, openDestination, type Destination } from './destination';
import { GlacierSource, parseInventory } from './glacier-source';
import { ARCHIVE_ATTEMPTS, DEFAULT_RANGE_BYTES, runImport, verifyImport, type VerifySummary } from './import';
import { createProgress, formatBytes, type ImportProgress } from './import-progress';
import { inventoryPathOf } from './import-state';
import { IMPORT_POINTS, killAtImportPoint, type ImportPoint } from './import-failpoints';
import { emptyVault, RefusedError, takeInventories } from './vault-commands';
import { accountOption, parseOptions, UsageError } from './usage';

export const VAULT_USAGE = `  import --source-vault NAME [--vault NAME] [--account ID]
         [--source-endpoint URL --source-access-key-id ID --source-secret-access-key KEY]
         [--source-region REGION] [--source-account ID] [--inventory FILE]
         [--tier Bulk|Standard|Expedited] [--bytes-per-day N] [--sns-topic ARN]
         [--max-jobs N] [--range-mib N] [--poll-seconds N] [--state FILE] [--verify]
                                             copy a vault from Amazon Glacier (or any Glacier-API
                                             endpoint) keeping archive IDs, descriptions, dates
                                             and tree hashes; run it again to resume
  inventory [--account ID [--vault NAME]]    take vault inventories now
  vaults empty NAME --account ID [--yes]     delete every archive of a vault, then take its
                                             inventory so that DeleteVault works at once`;

export const VAULT_COMMANDS = ['import', 'inventory', 'vaults'];

export interface Io {
  out(line: string): void;
  err(line: string): void;
  tty: boolean;
}

function parseArguments(argv: string[]) {
  return parseOptions(argv, {
    account: { type: 'string' },
    vault: { type: 'string' },
    yes: { type: 'boolean' },
    'source-vault': { type: 'string' },
    'source-account': { type: 'string' },
    'source-endpoint': { type: 'string' },
    'source-access-key-id': { type: 'string' },
    'source-secret-access-key': { type: 'string' },
    'source-region': { type: 'string' },
    inventory: { type: 'string' },
    tier: { type: 'string' },
    'bytes-per-day': { type: 'string' },
    'sns-topic': { type: 'string' },
    'max-jobs': { type: 'string' },
    'range-mib': { type: 'string' },
    'poll-seconds': { type: 'string' },
    state: { type: 'string' },
    verify: { type: 'boolean' },
    'data-dir': { type: 'string' },
    table: { type: 'string' },
    bucket: { type: 'string' },
    region: { type: 'string' },
    'storage-class': { type: 'string' },
  });
}

function positive(value: string | undefined, name: string, fallback: number, fractional = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (!fractional && !Number.isInteger(n))) throw new UsageError(`${name} must be a positive number`);
  return n;
}

/** Tests' process-kill scenarios: SIGKILL at the Nth pass through an import step ("name@N"). */
function killAt(spec: string) {
  const [name, nth = '1'] = spec.split('@');
  if (!(IMPORT_POINTS as readonly string[]).includes(name))
    throw new UsageError(`COLDVAULT_TEST_KILL_AT must be one of ${IMPORT_POINTS.join(', ')}, optionally @N, got ${spec}`);
  killAtImportPoint(name as ImportPoint, Number(nth));
}

function printVerify(io: Io, v: VerifySummary) {
  io.out(`verify: ${v.matching} of ${v.archives} archives match the source inventory (ID, size, tree hash)`);
  for (const id of v.missing) io.out(`verify: missing ${id}`);
  for (const d of v.different) io.out(`verify: different ${d.archiveId}: ${d.difference}`);
}

async function importCommand(values: ReturnType<typeof parseArguments>['values'], destination: Destination, io: Io): Promise<number> {
  const sourceVault = values['source-vault'];
  if (!sourceVault) throw new UsageError('import needs --source-vault NAME');
  const vaultName = values.vault ?? sourceVault;
  // A local destination's default account is the local server's.
  const accountId = accountOption(values.account ?? (destination.dataDir ? readLocalConfig().accountId : undefined));
  const tier = values.tier ?? 'Bulk';
  if (!['Bulk', 'Standard', 'Expedited'].includes(tier)) throw new UsageError('--tier must be Bulk, Standard or Expedited');
  const rangeMib = positive(values['range-mib'], '--range-mib', DEFAULT_RANGE_BYTES / MiB);
  if ((rangeMib & (rangeMib - 1)) !== 0) throw new UsageError('--range-mib must be a power of two (1, 2, 4, ... 4096)');
  const keyId = values['source-access-key-id'];
  const secret = values['source-secret-access-key'];
  if ((keyId === undefined) !== (secret === undefined))
    throw new UsageError('--source-access-key-id and --source-secret-access-key go together');
  const source = new GlacierSource({
    vaultName: sourceVault,
    accountId: values['source-account'] ? accountOption(values['source-account'], '--source-account') : '-',
    endpoint: values['source-endpoint'],
    region: values['source-region'] ?? readAdminEnv().region ?? (values['source-endpoint'] ? 'us-east-1' : undefined),
    ...(keyId && secret && { credentials: { accessKeyId: keyId, secretAccessKey: secret } }),
  });
  const statePath = resolve(
    values.state ??
      (destination.dataDir
        ? join(destination.dataDir, 'imports', `${accountId}.${vaultName}.json`)
        : `coldvault-import-${accountId}-${vaultName}.json`),
  );
  if (values.inventory && !existsSync(values.inventory)) throw new UsageError(`No inventory file ${values.inventory}`);

  const progress: ImportProgress = createProgress(io.tty, io.out);
  io.out(
    `Importing vault ${sourceVault} into vault ${vaultName} of account ${accountId} (${destination.label}); progress is kept in ${statePath}`,
  );
  // Every step is already on disk: Ctrl-C only has to put the terminal back.
  const interrupted = () => {
    progress.stop();
    io.err('Interrupted: what was imported is kept. Run the same command again to go on where it stopped.');
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  let summary;
  try {
    summary = await runImport(
      destination.svc,
      {
        source,
        accountId,
        vaultName,
        statePath,
        inventoryFile: values.inventory,
        tier: tier as 'Bulk',
        bytesPerDay: values['bytes-per-day'] === undefined ? undefined : positive(values['bytes-per-day'], '--bytes-per-day', 0),
        snsTopic: values['sns-topic'],
        pollMs: positive(values['poll-seconds'], '--poll-seconds', 300, true) * 1000,
        rangeBytes: rangeMib * MiB,
        maxJobs: positive(values['max-jobs'], '--max-jobs', 64),
      },
      progress,
    );
  } finally {
    process.off('SIGINT', interrupted);
    progress.stop();
  }
  if (summary.imported === 0 && summary.failed.length === 0) {
    io.out(`Nothing to import: all ${summary.archives} archives of vault ${sourceVault} are already in vault ${vaultName}.`);
  } else {
    io.out(
      `Imported ${summary.imported} archives; ${summary.alreadyThere} were already there; ${summary.failed.length} failed (of ${summary.archives}).`,
    );
  }
  for (const failure of summary.failed)
    io.out(
      `failed: ${failure.archiveId}: ${failure.error} (not recorded; run the command again to retry it ${ARCHIVE_ATTEMPTS} more times)`,
    );
  let verifiedOk = true;
  if (values.verify) {
    const inventory = parseInventory(readFileSync(inventoryPathOf(statePath), 'utf8'));
    const verified = await verifyImport(destination.svc, accountId, vaultName, inventory);
    printVerify(io, verified);
    verifiedOk = verified.matching === verified.archives;
  }
  return summary.failed.length === 0 && verifiedOk ? 0 : 1;
}

/** Runs a vault subcommand; returns the exit code. */
export async function runVaultCommand(argv: string[], io: Io): Promise<number> {
  let destination: Destination | undefined;
  try {
    const { values, positionals } = parseArguments(argv);
    const [command, sub, name] = positionals;
    const env = readAdminEnv();
    if (env.killAt) killAt(env.killAt);
    if (command === 'vaults' && sub !== 'empty') throw new UsageError('usage: coldvault vaults empty NAME --account ID [--yes]');
    if (command === 'vaults' && !name) throw new UsageError('vaults empty needs the vault NAME');
    if (command === 'vaults') accountOption(values.account);
    destination = await openDestination(values);

    if (command === 'import') return await importCommand(values, destination, io);
    if (command === 'inventory') {
      const accountId = values.account === undefined ? undefined : accountOption(values.account);
      if (values.vault !== undefined && accountId === undefined) throw new UsageError('--vault needs --account');
      const inventories = await takeInventories(destination.svc, accountId, values.vault);
      if (inventories.length === 0) io.out('inventory: no vaults');
      for (const taken of inventories) {
        io.out(
          `inventory: ${taken.accountId}/${taken.vaultName}: ${taken.numberOfArchives} archives, ${formatBytes(taken.sizeInBytes)} (${taken.inventoryDate})`,
        );
      }
      return 0;
    }
    const accountId = accountOption(values.account);
    const result = await emptyVault(destination.svc, accountId, name, values.yes === true, createProgress(io.tty, io.out));
    io.out(
      `Deleted ${result.deletedArchives} archives (${formatBytes(result.deletedBytes)}) from vault ${name}; ` +
        `its inventory now shows ${result.inventory?.numberOfArchives ?? 0} archives, so DeleteVault can delete it.`,
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError) io.err(`${error.message}\n\nusage:\n${VAULT_USAGE}`);
    else if (error instanceof RefusedError || error instanceof DestinationError || error instanceof GlacierError) io.err(error.message);
    else io.err(`coldvault: ${(error as Error).stack ?? String(error)}`);
    return error instanceof UsageError || error instanceof RefusedError ? 2 : 1;
  } finally {
    await destination?.close();
  }
}
