// Scheduled Lambda: regenerates every vault's inventory.
import { readConfig } from '../config';
import { inventoryAllVaults, type InventoryRun } from '../domain/inventory';
import { jsonLogger } from '../http/responses';
import { createServices } from '../wiring';

export async function handler(): Promise<InventoryRun> {
  const run = await inventoryAllVaults(createServices(readConfig()), jsonLogger);
  console.log(JSON.stringify({ level: 'info', message: 'inventory finished', vaults: run.vaults, failed: run.failed.length }));
  if (run.failed.length > 0) throw new Error(`Inventory failed for ${run.failed.length} vault(s)`);
  return run;
}
