// Scheduled Lambda: regenerates every vault's inventory.
import { inventoryAllVaults, type InventoryRun } from '../domain/inventory';
import { METRIC, count, instrumented, log, logger } from '../observability';
import { servicesFromEnvironment } from '../wiring';

export const handler = instrumented(async (): Promise<InventoryRun> => {
  const run = await inventoryAllVaults(servicesFromEnvironment(), log);
  count(METRIC.inventoryFailures, run.failed.length);
  logger.info('inventory finished', { vaults: run.vaults, failed: run.failed.length });
  if (run.failed.length > 0) throw new Error(`Inventory failed for ${run.failed.length} vault(s)`);
  return run;
});
